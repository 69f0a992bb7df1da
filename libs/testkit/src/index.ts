export * from './servers.js';
export * from './helpers.js';
export * from './processes.js';
