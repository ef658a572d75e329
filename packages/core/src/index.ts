export * from './bus/index.js';
export * from './clock/index.js';
export * from './config/index.js';
export * from './contracts/index.js';
export * from './logging/index.js';
export * from './random/index.js';
export * from './runtime/index.js';
export * from './transport/index.js';
