import { z } from 'zod';

export { z };

/** Thrown at start-up when the environment does not satisfy the app's schema; names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Parses `env` against `schema` once, reporting every missing or malformed variable at once.
 * Empty strings count as unset so `FOO=` in a compose file falls back to the default.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    const received = cleaned[String(issue.path[0])];
    return received === undefined
      ? `${variable} is required: ${issue.message}`
      : `${variable}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

const port = z.coerce.number().int().min(0).max(65535);
const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL with scheme ${protocols.join(' or ')}`,
  );

/** Building blocks for app schemas. */
export const env = {
  port,
  url,
  bool: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  durationMs: z.coerce.number().int().min(0),
  positiveInt: z.coerce.number().int().positive(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
};

/** Variables every gRPC service reads (see docs/conventions.md). */
export function serviceEnv(defaults: { db: string; grpcPort: number; metricsPort: number }) {
  return {
    LOG_LEVEL: env.logLevel.default('info'),
    MONGO_URL: url(['mongodb:', 'mongodb+srv:']),
    MONGO_DB: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a MongoDB database name')
      .default(defaults.db),
    NATS_URL: url(['nats:', 'tls:', 'ws:', 'wss:']),
    EVENTS_STREAM: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be a stream name')
      .default('GUARDIAN'),
    EVENTS_SUBJECT_PREFIX: z
      .string()
      .regex(/^([A-Za-z0-9_-]+\.)*$/, 'must be empty or dot-terminated tokens, e.g. "staging."')
      .default(''),
    GRPC_HOST: z.string().default('0.0.0.0'),
    GRPC_PORT: port.default(defaults.grpcPort),
    METRICS_PORT: port.default(defaults.metricsPort),
    SHUTDOWN_TIMEOUT_MS: env.durationMs.default(10_000),
  };
}

/** For `main.ts`: parse, or print every problem to stderr and exit 1 (before any logger exists). */
export function loadConfigOrExit<S extends z.ZodObject>(service: string, schema: S): z.infer<S> {
  try {
    return loadConfig(schema);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
