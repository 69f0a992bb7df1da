export * from './verifier.js';
export * from './keyring.js';
