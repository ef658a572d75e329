export * from './node.js';
export * from './plugin.js';
export * from './plugin-order.js';
export * from './tokens.js';
