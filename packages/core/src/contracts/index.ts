export * from './ids.js';
export * from './monitor.js';
export * from './schemas.js';
export * from './topics.js';
export * from './validate.js';
