export * from './callback-tail.js';
export * from './clock.js';
export * from './microtask.js';
export * from './real-clock.js';
export * from './virtual-clock.js';
