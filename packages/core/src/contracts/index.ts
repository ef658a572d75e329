export * from './acceptance-curve.js';
export * from './ids.js';
export * from './monitor.js';
export * from './schemas.js';
export * from './tariff.js';
export * from './topics.js';
export * from './validate.js';
export * from './vehicle.js';
