export * from './transport-contract.js';
export * from './wait.js';
