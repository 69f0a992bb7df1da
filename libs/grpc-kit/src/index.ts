export * from './errors.js';
export * from './handler.js';
export * from './server.js';
export * from './client.js';
export * from './health-client.js';
export * from './jwks-source.js';
export * from './identity-sessions.js';
export * from './service-callers.js';
