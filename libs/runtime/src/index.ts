export * from './metrics.js';
export * from './lifecycle.js';
