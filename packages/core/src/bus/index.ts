export * from './event-stream.js';
export * from './local-bus.js';
