export { DONE, isDone, isPending } from './done.js';
