export * from './local-bus.js';
