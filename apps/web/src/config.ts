import { isIP } from 'node:net';
import { env, loadConfigOrExit, z } from '@guardian/config';

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/**
 * Which proxies may tell the client's address in `X-Forwarded-For`: `false` (none: the socket's
 * peer is the client), or the proxies' addresses and CIDR ranges, comma-separated (proxy-addr's
 * names `loopback`, `linklocal`, `uniquelocal` too). The client IP is then the nearest address in
 * the header that is not a trusted proxy. Never "all" (the leftmost entry is written by the client
 * itself, so trusting it lets anyone choose their address for every per-IP limit), and no hop
 * count (fastify 5 refuses to trust one: it cannot check the peer).
 */
const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): false | string => {
    if (value === '' || value === 'false') return false;
    const entries = value.split(',').map((entry) => entry.trim());
    const valid = entries.every((entry) => {
      if (PROXY_NAMES.includes(entry)) return true;
      const [address, bits, extra] = entry.split('/');
      if (extra !== undefined || !address || !isIP(address)) return false;
      return (
        bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(address) === 4 ? 32 : 128))
      );
    });
    if (valid) return entries.join(',');
    ctx.addIssue({
      code: 'custom',
      message:
        'must be false or the proxies\' addresses/CIDR ranges (e.g. 10.0.0.0/8, or loopback, uniquelocal); "true" would trust addresses the client writes',
    });
    return z.NEVER;
  });

/** Every variable web reads (the only reader of process.env). Documented in README.md. */
export const webSchema = z.object({
  LOG_LEVEL: env.logLevel.default('info'),
  NATS_URL: env.url(['nats:', 'tls:', 'ws:', 'wss:']),
  EVENTS_STREAM: z.string().default('GUARDIAN'),
  EVENTS_SUBJECT_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_-]+\.)*$/)
    .default(''),
  WEB_HOST: z.string().default('0.0.0.0'),
  WEB_HTTP_PORT: env.port.default(8080),
  /** Prometheus `/metrics` (and `/healthz`, `/readyz`) for operators, apart from the public port. */
  METRICS_PORT: env.port.default(9454),
  /** gRPC addresses (host:port) of the services the BFF calls. */
  WEB_IDENTITY_ADDRESS: z.string().default('127.0.0.1:50051'),
  WEB_BIOMETRICS_ADDRESS: z.string().default('127.0.0.1:50052'),
  WEB_NOTIFIER_ADDRESS: z.string().default('127.0.0.1:50053'),
  SHUTDOWN_TIMEOUT_MS: env.durationMs.default(10_000),
  /** Origins (scheme://host[:port]) allowed to call the API from a browser with credentials; comma-separated. */
  WEB_CORS_ORIGINS: list.default([]),
  /** Mark cookies `Secure` (set when the BFF is reached over HTTPS, directly or behind a TLS proxy). */
  WEB_COOKIE_SECURE: env.bool.default(false),
  /** Which proxies in front may set X-Forwarded-For (the client IP for rate limits and login events). */
  WEB_TRUST_PROXY: trustProxy.default(false),
  /** JSON body limit (bytes); base64 photos count here, so it is above the photo limit. */
  WEB_BODY_LIMIT_BYTES: env.positiveInt.default(12 * 1024 * 1024),
  /** Largest photo accepted (bytes, decoded), checked before the bytes are buffered. */
  WEB_MAX_IMAGE_BYTES: env.positiveInt.default(8 * 1024 * 1024),
  /** Largest identity document accepted (bytes). */
  WEB_MAX_DOCUMENT_BYTES: env.positiveInt.default(10 * 1024 * 1024),
  /** Per-IP budget on auth endpoints (login, register, refresh, face login): requests per window. */
  WEB_AUTH_RATE_LIMIT: env.positiveInt.default(30),
  WEB_AUTH_RATE_WINDOW_MS: env.positiveInt.default(60_000),
  /** Per-IP budgets of the other tiers (procedures' `.meta({ rateLimit })`) per WEB_RATE_WINDOW_MS. */
  WEB_UPLOAD_RATE_LIMIT: env.positiveInt.default(60),
  WEB_READ_RATE_LIMIT: env.positiveInt.default(1_200),
  WEB_RATE_WINDOW_MS: env.positiveInt.default(60_000),
  /** Deadline of gRPC calls (face calls get WEB_FACE_DEADLINE_MS: inference can queue). */
  WEB_GRPC_DEADLINE_MS: env.positiveInt.default(5_000),
  WEB_FACE_DEADLINE_MS: env.positiveInt.default(30_000),
  /** How far back the live feed replays login events at start-up, and how many it keeps in memory. */
  WEB_FEED_BACKFILL_MS: env.positiveInt.default(24 * 3600_000),
  WEB_FEED_CAPACITY: env.positiveInt.default(2_000),
  /** Where the built dashboard is (vite build output). */
  WEB_DASHBOARD_DIR: z.string().optional(),
});

export type WebConfig = z.infer<typeof webSchema>;

export const loadWebConfig = () => loadConfigOrExit('web', webSchema);
