export * from './errors.js';
export * from './ttl-cache.js';
