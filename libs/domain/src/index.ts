export * from './errors.js';
export * from './ttl-cache.js';
export * from './media-type.js';
