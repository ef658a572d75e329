export * from './event-log.js';
export * from './recording-transport.js';
export * from './simulation.js';
