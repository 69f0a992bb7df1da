export * from './catalogue.js';
export * from './envelope.js';
export * from './bus.js';
export * from './cache-invalidation.js';
export * from './consumer.js';
export * from './ledger.js';
export * from './relay.js';
export * from './revocations.js';
