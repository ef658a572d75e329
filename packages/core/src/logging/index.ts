export * from './lazy-child-logger.js';
export * from './logger.js';
