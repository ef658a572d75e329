export * from './arrival-model.js';
export * from './cp-choice.js';
export * from './distribution.js';
export * from './driver-client.js';
export * from './driver-fleet.js';
export * from './driver-result.js';
export * from './driver-state-store.js';
export * from './requests-file.js';
