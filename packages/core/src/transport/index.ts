export * from './topic-counts.js';
export * from './transport.js';
