import { env, loadConfigOrExit, serviceEnv, z } from '@guardian/config';

/** Everything the notifier reads from the environment (the only reader of `process.env`). */
export const notifierSchema = z.object({
  ...serviceEnv({ db: 'guardian_notifier', grpcPort: 50053, metricsPort: 9453 }),
  /** Sends through Resend when set; otherwise the outbox keeps each message in its delivery record. */
  NOTIFIER_RESEND_API_KEY: z.string().min(1).optional(),
  NOTIFIER_RESEND_BASE_URL: env.url(['http:', 'https:']).optional(),
  NOTIFIER_MAIL_FROM: z.string().min(3).default('Guardian <no-reply@guardian.local>'),
  /** At most one failed-login alert per user per window. */
  NOTIFIER_DIGEST_WINDOW_MS: env.durationMs.default(15 * 60_000),
  NOTIFIER_CONSUMER_DURABLE: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('notifier'),
  NOTIFIER_CONCURRENCY: env.positiveInt.default(32),
  NOTIFIER_MAX_DELIVER: env.positiveInt.default(10),
  NOTIFIER_ACK_WAIT_MS: env.durationMs.default(30_000),
  NOTIFIER_RETRY_BASE_MS: env.durationMs.default(2_000),
  NOTIFIER_RETRY_MAX_MS: env.durationMs.default(10 * 60_000),
  NOTIFIER_NO_ADDRESS_RETRIES: z.coerce.number().int().min(0).default(3),
  NOTIFIER_NO_ADDRESS_DELAY_MS: env.durationMs.default(2_000),
  /**
   * How long a replica trusts its cached copy of a user's address and preferences. Its own changes
   * apply at once; another replica's within this time. 0 reads MongoDB for every e-mail.
   */
  NOTIFIER_CACHE_TTL_MS: env.durationMs.default(300_000),
  /** The web dashboard as users reach it: mails link to pages under it (`/videos/<job id>`). */
  NOTIFIER_DASHBOARD_URL: env.url(['http:', 'https:']).default('http://localhost:8080'),
  /** identity's gRPC address, for the JWKS that verifies callers' access tokens. */
  NOTIFIER_IDENTITY_ADDRESS: z.string().min(3).default('127.0.0.1:50051'),
});

export type NotifierConfig = z.infer<typeof notifierSchema>;

export const loadNotifierConfig = (): NotifierConfig => loadConfigOrExit('notifier', notifierSchema);
