export type { GroupHost } from './consumer-group.js';
export * from './memory-broker.js';
export * from './memory-transport.js';
export { partitionFor } from './partitioner.js';
export type { DeadLetter, StoredMessage } from './stored-message.js';
