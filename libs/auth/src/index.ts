export * from './verifier.js';
export * from './keyring.js';
export * from './live-sessions.js';
export * from './roles.js';
export * from './liveness.js';
