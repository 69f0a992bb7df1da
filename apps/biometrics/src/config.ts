import { env, loadConfig, loadConfigOrExit, serviceEnv, z } from '@guardian/config';
import { parseDetectorCascade } from './services/face-pipeline.js';
import type { ThrottlePolicy } from './services/face-throttle.js';
import { DEFAULT_FACE_IP_POLICY, DEFAULT_FACE_USER_POLICY } from './services/face-throttle.js';

/** A detector cascade: `tiny`, `tiny:<input size>` or `ssd`, comma-separated, tried in order. */
const detectors = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        return parseDetectorCascade(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    });

/** The detectors of operations on one face (enroll, verify, identify, compare), in order. */
export const ONE_FACE_DETECTORS = 'tiny:320,ssd,tiny:256';

/** Default of BIOMETRICS_LOGIN_WORKING_SIZE (see there). */
export const DEFAULT_LOGIN_WORKING_SIZE = 512;

/** Every variable biometrics reads (the only reader of process.env). Documented in README.md. */
export const biometricsSchema = z.object({
  ...serviceEnv({ db: 'guardian_biometrics', grpcPort: 50052, metricsPort: 9452 }),
  /** JSON array of Ed25519 private JWKs with kid that sign face assertions; the first signs, all verify. */
  BIOMETRICS_ASSERTION_KEYS: z.string().optional(),
  /** Where a development assertion key is generated and kept when no keys are configured. */
  BIOMETRICS_DEV_KEY_FILE: z.string().default('.data/biometrics/dev-assertion-keys.json'),
  /** Lifetime of a face assertion (identity refuses more than 120 s). */
  BIOMETRICS_ASSERTION_TTL_SEC: z.coerce.number().int().min(5).max(120).default(60),
  /** AES-256-GCM key for templates at rest: base64 of 32 bytes. */
  BIOMETRICS_TEMPLATE_KEY: z.string().optional(),
  /** Version id of that key, stored with every template (rotation). */
  BIOMETRICS_TEMPLATE_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,64}$/)
    .default('k1'),
  /** JSON object {keyId: base64} of retired keys still able to decrypt (key rotation). */
  BIOMETRICS_TEMPLATE_RETIRED_KEYS: z.string().optional(),
  /** Where a development template key is generated and kept when BIOMETRICS_TEMPLATE_KEY is unset. */
  BIOMETRICS_DEV_TEMPLATE_KEY_FILE: z.string().default('.data/biometrics/dev-template-key.json'),
  /**
   * Services allowed to ask for face sign-in decisions (Verify without a user token,
   * IdentifyForLogin) and to report the end user's IP: `web=<token>,identity=<token>` (tokens of
   * 32+ characters, sent as `x-guardian-service-token`). Unset: loopback callers only (development).
   */
  BIOMETRICS_SIGN_IN_CALLERS: z.string().optional(),
  /**
   * Face enrollment needs a passed liveness capture (`required`, default) or takes photos alone
   * (`optional`). Roles in BIOMETRICS_LIVENESS_WAIVED_ROLES may enroll from photos even when required
   * (e.g. `admin` enrolling from an ID photo through the API); none by default.
   */
  BIOMETRICS_LIVENESS_ENROLL: z.enum(['required', 'optional']).default('required'),
  BIOMETRICS_LIVENESS_WAIVED_ROLES: z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(['user', 'admin', 'master']))),
  /** The ffmpeg that decodes liveness clips (WebM/MP4): a path, or a name looked up on PATH. */
  BIOMETRICS_FFMPEG: z.string().default('ffmpeg'),
  /** Video analysis (docs/video.md): largest upload, longest video, raw-byte retention. */
  BIOMETRICS_VIDEO_MAX_BYTES: env.positiveInt.default(500 * 1024 * 1024),
  BIOMETRICS_VIDEO_MAX_DURATION_SEC: env.positiveInt.default(30 * 60),
  /** Keep a video's bytes after its analysis (default: deleted when the analysis ends). */
  BIOMETRICS_VIDEO_RETAIN: env.bool.default(false),
  /** Whether this replica takes analysis jobs (off: it serves the API and queues jobs only). */
  BIOMETRICS_VIDEO_ANALYSIS: env.bool.default(true),
  /** Analyses one replica runs at once (each keeps the inference workers busy on its own). */
  BIOMETRICS_VIDEO_CONCURRENCY: env.positiveInt.default(1),
  /**
   * How long JetStream waits for a running job's heartbeat before another replica takes it over
   * (resuming from its last stored page). The runner heartbeats at a third of it.
   */
  BIOMETRICS_VIDEO_ACK_WAIT_MS: env.durationMs.default(30_000),
  /** Detector for video frames: tiny (fast, default) or ssd. */
  BIOMETRICS_VIDEO_DETECTOR: z.enum(['tiny', 'ssd']).default('tiny'),
  /** Frames are scaled down to at most this width before detection. */
  BIOMETRICS_VIDEO_MAX_WIDTH: env.positiveInt.default(640),
  /** identity's gRPC address, for AuthService.GetJwks (access-token keys). */
  BIOMETRICS_IDENTITY_ADDRESS: z.string().default('127.0.0.1:50051'),
  /** auto = tfjs-node-gpu > tfjs-node > wasm. */
  BIOMETRICS_INFERENCE_BACKEND: z.enum(['auto', 'gpu', 'node', 'wasm']).default('auto'),
  /** Worker threads (default: one per core). */
  BIOMETRICS_INFERENCE_WORKERS: env.positiveInt.optional(),
  /** Requests allowed to wait for a worker; beyond that RESOURCE_EXHAUSTED (default 4 per worker, >= 8). */
  BIOMETRICS_INFERENCE_QUEUE: env.positiveInt.optional(),
  BIOMETRICS_INFERENCE_TIMEOUT_MS: env.positiveInt.default(30_000),
  /** auto = only on the gpu backend. */
  BIOMETRICS_INFERENCE_MICRO_BATCH: z.enum(['auto', 'true', 'false']).default('auto'),
  /**
   * Face detectors per operation, tried in order until one finds a face: `tiny` (fast; `tiny:320` at
   * input size 320) or `ssd` (finds smaller and rotated faces; ~3x slower on wasm). Defaults measured on
   * real photos (docs/matching.md): one detector alone misses 3.6-13% of LFW's faces, the three 0.5%.
   */
  BIOMETRICS_DETECTOR_ENROLL: detectors(ONE_FACE_DETECTORS),
  BIOMETRICS_DETECTOR_VERIFY: detectors(ONE_FACE_DETECTORS),
  BIOMETRICS_DETECTOR_IDENTIFY: detectors(ONE_FACE_DETECTORS),
  BIOMETRICS_DETECTOR_COMPARE: detectors(ONE_FACE_DETECTORS),
  /** Detect lists every face (group photos, small faces): ssd first. */
  BIOMETRICS_DETECTOR_DETECT: detectors('ssd,tiny:320'),
  /** TinyFaceDetector input size (multiple of 32). */
  BIOMETRICS_TINY_INPUT_SIZE: z.coerce.number().int().min(128).max(1024).multipleOf(32).default(416),
  /**
   * Longest side of the working image for face login (Verify, IdentifyForLogin, Identify): selfies,
   * whose face is large. face-api pads and resizes the whole image for the detector inside wasm,
   * which costs more than the detector on big inputs; sharp downscales far more cheaply. Other
   * operations keep 1024 (group photos, small faces).
   */
  BIOMETRICS_LOGIN_WORKING_SIZE: z.coerce
    .number()
    .int()
    .min(416)
    .max(1024)
    .default(DEFAULT_LOGIN_WORKING_SIZE),
  /**
   * Target false-positive identification rate of one 1:N search (Identify, face sign-in without a
   * name): the threshold tightens as the gallery grows (docs/matching.md). Default: calibration's (1e-3).
   */
  BIOMETRICS_IDENTIFY_FPIR: z.coerce.number().gt(0).lt(0.5).optional(),
  /** Largest accepted image payload in bytes. */
  BIOMETRICS_MAX_IMAGE_BYTES: env.positiveInt.default(8 * 1024 * 1024),
  /** Face-channel brute force, per user (failed Verify) and per client IP. */
  BIOMETRICS_FACE_USER_DELAY_AFTER: env.positiveInt.default(DEFAULT_FACE_USER_POLICY.delayAfter),
  BIOMETRICS_FACE_USER_DELAY_BASE_MS: env.durationMs.default(DEFAULT_FACE_USER_POLICY.delayBaseMs),
  BIOMETRICS_FACE_USER_LOCK_AFTER: env.positiveInt.default(DEFAULT_FACE_USER_POLICY.lockAfter),
  BIOMETRICS_FACE_USER_LOCK_BASE_MS: env.durationMs.default(DEFAULT_FACE_USER_POLICY.lockBaseMs),
  BIOMETRICS_FACE_USER_WINDOW_MS: env.positiveInt.default(DEFAULT_FACE_USER_POLICY.resetAfterMs),
  BIOMETRICS_FACE_IP_DELAY_AFTER: env.positiveInt.default(DEFAULT_FACE_IP_POLICY.delayAfter),
  BIOMETRICS_FACE_IP_DELAY_BASE_MS: env.durationMs.default(DEFAULT_FACE_IP_POLICY.delayBaseMs),
  BIOMETRICS_FACE_IP_LOCK_AFTER: env.positiveInt.default(DEFAULT_FACE_IP_POLICY.lockAfter),
  BIOMETRICS_FACE_IP_LOCK_BASE_MS: env.durationMs.default(DEFAULT_FACE_IP_POLICY.lockBaseMs),
  BIOMETRICS_FACE_IP_WINDOW_MS: env.positiveInt.default(DEFAULT_FACE_IP_POLICY.resetAfterMs),
});

export type BiometricsConfig = z.infer<typeof biometricsSchema>;

export const loadBiometricsConfig = () => loadConfigOrExit('biometrics', biometricsSchema);

/** For tests: parse a given environment (throws ConfigError). */
export const parseBiometricsConfig = (source: Record<string, string | undefined>): BiometricsConfig =>
  loadConfig(biometricsSchema, source);

export function faceThrottlePolicies(config: BiometricsConfig): { user: ThrottlePolicy; ip: ThrottlePolicy } {
  return {
    user: {
      ...DEFAULT_FACE_USER_POLICY,
      delayAfter: config.BIOMETRICS_FACE_USER_DELAY_AFTER,
      delayBaseMs: config.BIOMETRICS_FACE_USER_DELAY_BASE_MS,
      lockAfter: config.BIOMETRICS_FACE_USER_LOCK_AFTER,
      lockBaseMs: config.BIOMETRICS_FACE_USER_LOCK_BASE_MS,
      resetAfterMs: config.BIOMETRICS_FACE_USER_WINDOW_MS,
    },
    ip: {
      ...DEFAULT_FACE_IP_POLICY,
      delayAfter: config.BIOMETRICS_FACE_IP_DELAY_AFTER,
      delayBaseMs: config.BIOMETRICS_FACE_IP_DELAY_BASE_MS,
      lockAfter: config.BIOMETRICS_FACE_IP_LOCK_AFTER,
      lockBaseMs: config.BIOMETRICS_FACE_IP_LOCK_BASE_MS,
      resetAfterMs: config.BIOMETRICS_FACE_IP_WINDOW_MS,
    },
  };
}
