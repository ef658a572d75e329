export * from './node.js';
export * from './node-container.js';
export * from './plugin.js';
export * from './plugin-order.js';
export * from './tokens.js';
