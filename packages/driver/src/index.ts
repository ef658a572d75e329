export * from './driver-client.js';
export * from './driver-result.js';
export * from './driver-state-store.js';
export * from './requests-file.js';
