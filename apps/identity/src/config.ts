import { env, loadConfig, serviceEnv, z } from '@guardian/config';
import type { ThrottlePolicy } from './services/brute-force.js';
import { DEFAULT_ACCOUNT_POLICY, DEFAULT_IP_POLICY } from './services/brute-force.js';
import { ROLES, type Role } from '@guardian/auth';

/** Every variable identity reads (the only reader of process.env). Documented in README.md. */
export const identitySchema = z.object({
  ...serviceEnv({ db: 'guardian_identity', grpcPort: 50051, metricsPort: 9451 }),
  /** JSON array of Ed25519 private JWKs with kid; the first signs, all verify (rotation). */
  IDENTITY_SIGNING_KEYS: z.string().optional(),
  /** A file holding that JSON array (e.g. a mounted secret). */
  IDENTITY_SIGNING_KEYS_FILE: z.string().optional(),
  /** Where a development key is generated and kept when no keys are configured. */
  IDENTITY_DEV_KEY_FILE: z.string().default('.data/identity/dev-signing-keys.json'),
  IDENTITY_ACCESS_TOKEN_TTL_SEC: env.positiveInt.default(900),
  IDENTITY_REFRESH_IDLE_TTL_MS: env.positiveInt.default(14 * 24 * 3600_000),
  IDENTITY_REFRESH_ABSOLUTE_TTL_MS: env.positiveInt.default(30 * 24 * 3600_000),
  IDENTITY_BOOTSTRAP_MASTER_USERNAME: z.string().optional(),
  IDENTITY_BOOTSTRAP_MASTER_EMAIL: z.string().optional(),
  IDENTITY_BOOTSTRAP_MASTER_PASSWORD: z.string().optional(),
  /** Where a generated one-time master password is kept (mode 0600) besides the console. */
  IDENTITY_BOOTSTRAP_PASSWORD_FILE: z.string().default('.data/identity/master-one-time-password.txt'),
  /** biometrics' gRPC address (host:port): GetJwks, and the face sign-in decisions. */
  IDENTITY_BIOMETRICS_ADDRESS: z.string().default('127.0.0.1:50052'),
  /** identity's credential toward biometrics (its `identity=` entry in BIOMETRICS_SIGN_IN_CALLERS). */
  IDENTITY_BIOMETRICS_SERVICE_TOKEN: z
    .string()
    .trim()
    .transform((value) => value || undefined)
    .pipe(z.string().min(32).optional())
    .optional(),
  /** Deadline of a face sign-in call to biometrics (inference can queue). */
  IDENTITY_FACE_DEADLINE_MS: env.positiveInt.default(30_000),
  IDENTITY_FACE_ASSERTION_ISSUER: z.string().default('guardian-biometrics'),
  IDENTITY_FACE_ASSERTION_AUDIENCE: z.string().default('guardian-identity'),
  IDENTITY_FACE_ASSERTION_MAX_LIFETIME_SEC: env.positiveInt.default(120),
  IDENTITY_DOCUMENT_MAX_BYTES: env.positiveInt.default(10 * 1024 * 1024),
  IDENTITY_ACCOUNT_DELAY_AFTER: env.positiveInt.default(DEFAULT_ACCOUNT_POLICY.delayAfter),
  IDENTITY_ACCOUNT_DELAY_BASE_MS: env.durationMs.default(DEFAULT_ACCOUNT_POLICY.delayBaseMs),
  IDENTITY_ACCOUNT_DELAY_MAX_MS: env.durationMs.default(DEFAULT_ACCOUNT_POLICY.delayMaxMs),
  IDENTITY_ACCOUNT_LOCK_AFTER: env.positiveInt.default(DEFAULT_ACCOUNT_POLICY.lockAfter),
  IDENTITY_ACCOUNT_LOCK_BASE_MS: env.durationMs.default(DEFAULT_ACCOUNT_POLICY.lockBaseMs),
  IDENTITY_ACCOUNT_LOCK_MAX_MS: env.durationMs.default(DEFAULT_ACCOUNT_POLICY.lockMaxMs),
  IDENTITY_ACCOUNT_RESET_AFTER_MS: env.positiveInt.default(DEFAULT_ACCOUNT_POLICY.resetAfterMs),
  IDENTITY_IP_DELAY_AFTER: env.positiveInt.default(DEFAULT_IP_POLICY.delayAfter),
  IDENTITY_IP_DELAY_BASE_MS: env.durationMs.default(DEFAULT_IP_POLICY.delayBaseMs),
  IDENTITY_IP_DELAY_MAX_MS: env.durationMs.default(DEFAULT_IP_POLICY.delayMaxMs),
  IDENTITY_IP_LOCK_AFTER: env.positiveInt.default(DEFAULT_IP_POLICY.lockAfter),
  IDENTITY_IP_LOCK_BASE_MS: env.durationMs.default(DEFAULT_IP_POLICY.lockBaseMs),
  IDENTITY_IP_LOCK_MAX_MS: env.durationMs.default(DEFAULT_IP_POLICY.lockMaxMs),
  IDENTITY_IP_RESET_AFTER_MS: env.positiveInt.default(DEFAULT_IP_POLICY.resetAfterMs),
  /** How long sign-in attempts are kept (audit and brute-force history); pruned hourly. */
  IDENTITY_ATTEMPT_RETENTION_MS: env.positiveInt.default(30 * 24 * 3600_000),
  /** How long a confirmed live session is trusted without reading MongoDB (0 = always read). */
  IDENTITY_SESSION_CACHE_TTL_MS: env.durationMs.default(2_000),
  /** How long a replica trusts its cached copy of a user read by id (its own writes apply at once). */
  IDENTITY_USER_CACHE_TTL_MS: env.durationMs.default(2_000),
  /**
   * Face sign-in needs a passed liveness capture (`required`, default; docs/liveness.md) or also takes
   * a single photo (`optional`, for deployments whose clients cannot film).
   */
  IDENTITY_LIVENESS_SIGN_IN: z.enum(['required', 'optional']).default('required'),
  /** How long a liveness session lasts (seconds, 30..120). */
  IDENTITY_LIVENESS_TTL_SEC: z.coerce.number().int().min(30).max(120).default(120),
  /**
   * Roles that may sign in with a face alone (comma-separated). Default `user`: an admin's or master's
   * face is not a password, and a photo of them must never open an administrator's session.
   */
  IDENTITY_FACE_LOGIN_ROLES: z
    .string()
    .default('user')
    .transform((text, ctx) => {
      const roles = text
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);
      const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
      if (bad.length) {
        ctx.addIssue({ code: 'custom', message: `unknown role(s): ${bad.join(', ')}` });
        return z.NEVER;
      }
      return roles as Role[];
    }),
});

export type IdentityConfig = z.infer<typeof identitySchema>;

export const loadIdentityConfig = (
  source: Record<string, string | undefined> = process.env,
): IdentityConfig => loadConfig(identitySchema, source);

export function throttlePolicies(config: IdentityConfig): { account: ThrottlePolicy; ip: ThrottlePolicy } {
  return {
    account: {
      resetAfterMs: config.IDENTITY_ACCOUNT_RESET_AFTER_MS,
      delayAfter: config.IDENTITY_ACCOUNT_DELAY_AFTER,
      delayBaseMs: config.IDENTITY_ACCOUNT_DELAY_BASE_MS,
      delayMaxMs: config.IDENTITY_ACCOUNT_DELAY_MAX_MS,
      lockAfter: config.IDENTITY_ACCOUNT_LOCK_AFTER,
      lockBaseMs: config.IDENTITY_ACCOUNT_LOCK_BASE_MS,
      lockMaxMs: config.IDENTITY_ACCOUNT_LOCK_MAX_MS,
      resetOnSuccess: true,
    },
    ip: {
      resetAfterMs: config.IDENTITY_IP_RESET_AFTER_MS,
      delayAfter: config.IDENTITY_IP_DELAY_AFTER,
      delayBaseMs: config.IDENTITY_IP_DELAY_BASE_MS,
      delayMaxMs: config.IDENTITY_IP_DELAY_MAX_MS,
      lockAfter: config.IDENTITY_IP_LOCK_AFTER,
      lockBaseMs: config.IDENTITY_IP_LOCK_BASE_MS,
      lockMaxMs: config.IDENTITY_IP_LOCK_MAX_MS,
      resetOnSuccess: false,
    },
  };
}
