export * from './memory-broker.js';
export * from './memory-transport.js';
export { partitionFor } from './partitioner.js';
export type { DeadLetter } from './stored-message.js';
