export { DONE, isDone } from './done.js';
