export * from './fifo-queue.js';
