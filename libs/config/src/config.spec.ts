import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, serviceEnv, z } from './index.js';

const schema = z.object({
  ...serviceEnv({ db: 'guardian_test', grpcPort: 50051, metricsPort: 9451 }),
  EXTRA_LIMIT: z.coerce.number().int().positive().default(5),
});
const valid = { MONGO_URL: 'mongodb://127.0.0.1:27017', NATS_URL: 'nats://127.0.0.1:4222' };

describe('loadConfig', () => {
  it('fills defaults and coerces numbers when the environment is valid', () => {
    const config = loadConfig(schema, { ...valid, GRPC_PORT: '6000' });
    expect(config).toMatchObject({
      GRPC_PORT: 6000,
      METRICS_PORT: 9451,
      MONGO_DB: 'guardian_test',
      EVENTS_STREAM: 'GUARDIAN',
      EVENTS_SUBJECT_PREFIX: '',
      EXTRA_LIMIT: 5,
    });
  });

  it('names every missing and every malformed variable in one error', () => {
    let error: unknown;
    try {
      loadConfig(schema, { NATS_URL: 'http://wrong', GRPC_PORT: 'eighty', EXTRA_LIMIT: '-1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/MONGO_URL is required/);
    expect(message).toMatch(/NATS_URL: must be a URL with scheme nats:/);
    expect(message).toMatch(/GRPC_PORT/);
    expect(message).toMatch(/EXTRA_LIMIT/);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('treats an empty variable as unset so defaults apply', () => {
    expect(loadConfig(schema, { ...valid, GRPC_PORT: '' }).GRPC_PORT).toBe(50051);
  });

  it('rejects a subject prefix that is not dot-terminated', () => {
    expect(() => loadConfig(schema, { ...valid, EVENTS_SUBJECT_PREFIX: 'staging' })).toThrow(
      /EVENTS_SUBJECT_PREFIX/,
    );
  });
});
