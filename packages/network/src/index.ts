export * from './charging-network.js';
export * from './cp-spec.js';
export * from './network-report.js';
