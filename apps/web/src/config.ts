import { env, loadConfigOrExit, z } from '@guardian/config';

/** Every variable web reads (the only reader of process.env). Documented in README.md. */
export const webSchema = z.object({
  LOG_LEVEL: env.logLevel.default('info'),
  MONGO_URL: env.url(['mongodb:', 'mongodb+srv:']),
  MONGO_DB: z.string().default('guardian_web'),
  NATS_URL: env.url(['nats:', 'tls:', 'ws:', 'wss:']),
  EVENTS_STREAM: z.string().default('GUARDIAN'),
  EVENTS_SUBJECT_PREFIX: z.string().regex(/^([A-Za-z0-9_-]+\.)*$/).default(''),
  WEB_HOST: z.string().default('0.0.0.0'),
  WEB_HTTP_PORT: env.port.default(8080),
  /** gRPC addresses (host:port) of the services the BFF calls. */
  WEB_IDENTITY_ADDRESS: z.string().default('127.0.0.1:50051'),
  WEB_BIOMETRICS_ADDRESS: z.string().default('127.0.0.1:50052'),
  WEB_NOTIFIER_ADDRESS: z.string().default('127.0.0.1:50053'),
  SHUTDOWN_TIMEOUT_MS: env.durationMs.default(10_000),
});

export type WebConfig = z.infer<typeof webSchema>;

export const loadWebConfig = () => loadConfigOrExit('web', webSchema);
