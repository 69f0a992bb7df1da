/**
 * biometrics' wiring: config -> keys -> inference pool -> repositories -> index (loaded, kept in sync)
 * -> services -> gRPC and consumers. `main.ts` hands it to app-kit's runGrpcService; tests call it
 * in-process with their own connections (and may pass a token verifier and assertion keys).
 */
import { followRevocations } from '@guardian/events';
import { ThrottleWindows, throttleWindowModel } from '@guardian/mongo';
import {
  CachedJwks,
  FRAME_BUDGET,
  KeyRing,
  verifyEnrollmentToken,
  verifyLivenessChallenge,
} from '@guardian/auth';
import type { ServiceDeps, ServiceParts } from '@guardian/app-kit';
import {
  createClient,
  grpcJwksSource,
  identitySessionVerifier,
  ServiceCallers,
  type IdentitySessionCalls,
} from '@guardian/grpc-kit';
import { AuthServiceClient, AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';
import { Gauge } from 'prom-client';
import { faceThrottlePolicies, type BiometricsConfig } from './config.js';
import { handleUserDeleted, USER_DELETED_DURABLE } from './consumers/user-deleted.consumer.js';
import { IndexSyncConsumer } from './consumers/index-sync.consumer.js';
import { faceGrpc } from './grpc/face.grpc.js';
import { mediaGrpc } from './grpc/media.grpc.js';
import { decodeClip } from './repositories/clip-decoder.js';
import { decoderVersion, ffprobeBeside } from './repositories/video-decoder.js';
import { videoJobModel, VideoJobRepository } from './repositories/video-job.repository.js';
import { GridFsVideoStore } from './repositories/video-store.js';
import { sweepVideoTempDirs } from './repositories/video-temp.js';
import { faceAttemptModel, FaceAttemptRepository } from './repositories/face-attempt.repository.js';
import { livenessCheckModel, LivenessCheckRepository } from './repositories/liveness-check.repository.js';
import { grpcAccountDirectory, type AccountDirectory } from './repositories/account-directory.repository.js';
import { InferencePool } from './repositories/inference/index.js';
import { loadTemplateKeys } from './repositories/template-key.repository.js';
import { templateModel, TemplateRepository } from './repositories/template.repository.js';
import { FaceIndex } from './services/face-index.js';
import { FaceIndexSync, TemplateVault } from './services/face-index-sync.js';
import { FacePipeline, type FacePipelineOptions } from './services/face-pipeline.js';
import { FaceVerifyService } from './services/face-verify.service.js';
import { EVENT_SOURCE, FaceService } from './services/face.service.js';
import { LivenessService } from './services/liveness/liveness.service.js';
import { DESCRIPTOR_RECIPE, FACEAPI_MODEL_ID } from './services/template.js';
import { VideoAnalysis } from './services/video/analysis.js';
import { faceThumbnail, poolAnalyzer } from './services/video/frames.js';
import { MediaService } from './services/video/media.service.js';

/** The durable consumer all replicas share as the video job queue. */
export const VIDEO_JOBS_DURABLE = 'biometrics-video-jobs';
const VIDEO_JOBS_MAX_DELIVER = 5;

export interface BiometricsOverrides {
  /**
   * identity's GetJwks (access and enrollment tokens) and CheckSession (is the token's session
   * live), default: its AuthService over gRPC.
   */
  identity?: IdentitySessionCalls;
  /** Signs face assertions (default: BIOMETRICS_ASSERTION_KEYS or the dev key file). */
  assertionKeys?: KeyRing;
  /** identity's view of accounts (default: its UserService over gRPC). */
  accounts?: AccountDirectory;
}

/** What tests reach into besides the gRPC parts. */
export interface BiometricsInternals {
  pool: InferencePool;
  index: FaceIndex;
  faces: FaceService;
  indexSync: IndexSyncConsumer;
  assertionKeys: KeyRing;
  templates: TemplateRepository;
  videoJobs: VideoJobRepository;
  videoStore: GridFsVideoStore;
  analysis: VideoAnalysis;
}

/** The face pipeline as configured (also used by bench/lfw.ts, so it measures what runs). */
export function facePipelineOptions(config: BiometricsConfig): FacePipelineOptions {
  return {
    detectors: {
      enroll: config.BIOMETRICS_DETECTOR_ENROLL,
      verify: config.BIOMETRICS_DETECTOR_VERIFY,
      identify: config.BIOMETRICS_DETECTOR_IDENTIFY,
      compare: config.BIOMETRICS_DETECTOR_COMPARE,
      detect: config.BIOMETRICS_DETECTOR_DETECT,
    },
    tinyInputSize: config.BIOMETRICS_TINY_INPUT_SIZE,
    ...DESCRIPTOR_RECIPE,
    intake: { maxBytes: config.BIOMETRICS_MAX_IMAGE_BYTES },
    workingSizes: {
      verify: config.BIOMETRICS_LOGIN_WORKING_SIZE,
      identify: config.BIOMETRICS_LOGIN_WORKING_SIZE,
    },
  };
}

export async function setupBiometrics(
  deps: ServiceDeps<BiometricsConfig>,
  overrides: BiometricsOverrides = {},
): Promise<ServiceParts & { internals: BiometricsInternals }> {
  const { config, logger, mongo, bus, registry, grpcDurations, announce } = deps;

  const assertionKeys =
    overrides.assertionKeys ??
    (await KeyRing.load({
      ...(config.BIOMETRICS_ASSERTION_KEYS ? { json: config.BIOMETRICS_ASSERTION_KEYS } : {}),
      devFile: config.BIOMETRICS_DEV_KEY_FILE,
      onDevKey: (file, created) =>
        logger.warn(
          { file, created },
          'using a development face-assertion key: set BIOMETRICS_ASSERTION_KEYS in production',
        ),
    }));
  const templateKeys = await loadTemplateKeys({
    base64: config.BIOMETRICS_TEMPLATE_KEY,
    keyId: config.BIOMETRICS_TEMPLATE_KEY_ID,
    retiredJson: config.BIOMETRICS_TEMPLATE_RETIRED_KEYS,
    devFile: config.BIOMETRICS_DEV_TEMPLATE_KEY_FILE,
    onDevKey: (file, created) =>
      logger.warn(
        { file, created },
        'using a development template encryption key: set BIOMETRICS_TEMPLATE_KEY in production',
      ),
  });
  const identityAuth = overrides.identity
    ? undefined
    : createClient(AuthServiceClient, AuthServiceService, config.BIOMETRICS_IDENTITY_ADDRESS, {
        idempotent: ['getJwks', 'checkSession'],
        deadlineMs: 3_000,
      });
  const identity = overrides.identity ?? identityAuth!;
  const identityKeys = new CachedJwks(grpcJwksSource(() => identity.getJwks({})));
  const verifier = identitySessionVerifier(identity, { jwks: identityKeys });
  const revocations = await followRevocations(bus, verifier, logger.child({ component: 'revocations' }));

  const pool = await InferencePool.start({
    backend: config.BIOMETRICS_INFERENCE_BACKEND,
    ...(config.BIOMETRICS_INFERENCE_WORKERS ? { workers: config.BIOMETRICS_INFERENCE_WORKERS } : {}),
    ...(config.BIOMETRICS_INFERENCE_QUEUE ? { maxQueue: config.BIOMETRICS_INFERENCE_QUEUE } : {}),
    defaultTimeoutMs: config.BIOMETRICS_INFERENCE_TIMEOUT_MS,
    microBatch:
      config.BIOMETRICS_INFERENCE_MICRO_BATCH === 'auto'
        ? 'auto'
        : config.BIOMETRICS_INFERENCE_MICRO_BATCH === 'true',
    logger: logger.child({ component: 'inference' }),
  });
  logger.info({ ...pool.stats() }, `inference backend: ${pool.backend}`);

  const templates = new TemplateRepository(templateModel(mongo), announce);
  const policies = faceThrottlePolicies(config);
  const attempts = new FaceAttemptRepository(
    faceAttemptModel(mongo),
    // The check needs the failure chain; lock growth is capped well within lockAfter + 32 entries.
    new ThrottleWindows(
      throttleWindowModel(mongo),
      Math.max(policies.user.lockAfter, policies.ip.lockAfter) + 32,
    ),
    announce,
  );
  const index = new FaceIndex({ modelId: FACEAPI_MODEL_ID });
  const vault = new TemplateVault(templateKeys);
  const sync = new FaceIndexSync(index, templates, vault, logger.child({ component: 'face-index' }));
  const indexSync = await IndexSyncConsumer.subscribe(bus, sync, logger.child({ component: 'index-sync' }));
  await sync.loadAll();
  indexSync.run();

  new Gauge({
    name: 'biometrics_inference_backend',
    help: 'The inference backend in use (1)',
    labelNames: ['backend'],
    registers: [registry],
  })
    .labels(pool.backend)
    .set(1);
  new Gauge({
    name: 'biometrics_inference_queue_depth',
    help: 'Inference requests waiting for a worker',
    registers: [registry],
    collect() {
      this.set(pool.stats().queued);
    },
  });
  new Gauge({
    name: 'biometrics_inference_rejected_total',
    help: 'Inference requests refused because the queue was full',
    registers: [registry],
    collect() {
      this.set(pool.stats().rejectedQueueFull);
    },
  });
  new Gauge({
    name: 'biometrics_inference_dropped_total',
    help: 'Inference requests whose caller left (or whose deadline passed) before a worker took them: never run',
    registers: [registry],
    collect() {
      this.set(pool.stats().droppedBeforeRun);
    },
  });
  new Gauge({
    name: 'biometrics_inference_dispatched_total',
    help: 'Inference requests handed to a worker',
    registers: [registry],
    collect() {
      this.set(pool.stats().dispatched);
    },
  });
  new Gauge({
    name: 'biometrics_face_index_templates',
    help: 'Templates in the in-memory 1:N index',
    registers: [registry],
    collect() {
      this.set(index.size);
    },
  });

  const pipeline = new FacePipeline(pool, facePipelineOptions(config));
  const livenessChecks = new LivenessCheckRepository(livenessCheckModel(mongo), announce);
  const liveness = new LivenessService({
    pipeline,
    checks: livenessChecks,
    verifyChallenge: (token, expected) => verifyLivenessChallenge(identityKeys, token, expected),
    decodeClip: (clip) =>
      decodeClip(clip, {
        ffmpeg: config.BIOMETRICS_FFMPEG,
        fps: 5,
        maxDurationMs: FRAME_BUDGET.maxDurationMs,
        maxWidth: 640,
      }),
    budget: FRAME_BUDGET,
  });
  const identifyFpir = config.BIOMETRICS_IDENTIFY_FPIR;
  const directory = overrides.accounts ? undefined : grpcAccountDirectory(config.BIOMETRICS_IDENTITY_ADDRESS);
  const faces = new FaceService({
    accounts: overrides.accounts ?? directory!,
    pipeline,
    templates,
    index,
    vault,
    modelId: FACEAPI_MODEL_ID,
    ...(identifyFpir ? { identifyFpir } : {}),
    liveness,
    livenessPolicy: {
      enroll: config.BIOMETRICS_LIVENESS_ENROLL,
      waivedRoles: config.BIOMETRICS_LIVENESS_WAIVED_ROLES,
    },
  });
  const faceVerify = new FaceVerifyService({
    pipeline,
    templates,
    attempts,
    vault,
    index,
    liveness,
    assertionKeys,
    policies,
    assertionTtlSec: config.BIOMETRICS_ASSERTION_TTL_SEC,
    modelId: FACEAPI_MODEL_ID,
    ...(identifyFpir ? { identifyFpir } : {}),
  });

  const swept = await sweepVideoTempDirs();
  if (swept.length) logger.info({ dirs: swept }, 'deleted video copies left by a stopped process');
  const decoder = { ffmpeg: config.BIOMETRICS_FFMPEG, ffprobe: ffprobeBeside(config.BIOMETRICS_FFMPEG) };
  const videoJobs = new VideoJobRepository(videoJobModel(mongo), mongo, announce);
  const videoStore = new GridFsVideoStore(mongo);
  const media = new MediaService({
    jobs: videoJobs,
    store: videoStore,
    decoder,
    limits: {
      maxBytes: config.BIOMETRICS_VIDEO_MAX_BYTES,
      maxDurationMs: config.BIOMETRICS_VIDEO_MAX_DURATION_SEC * 1000,
    },
    source: EVENT_SOURCE,
  });
  let ffmpegVersion: Promise<string> | undefined;
  const analysis = new VideoAnalysis({
    jobs: videoJobs,
    store: videoStore,
    decoder,
    decoderVersion: () => (ffmpegVersion ??= decoderVersion(decoder.ffmpeg)),
    backend: pool.backend,
    analyze: poolAnalyzer(pool, config.BIOMETRICS_VIDEO_DETECTOR),
    inFlight: pool.stats().workers,
    thumbnail: faceThumbnail,
    leaseMs: config.BIOMETRICS_VIDEO_ACK_WAIT_MS,
    maxDeliver: VIDEO_JOBS_MAX_DELIVER,
    maxWidth: config.BIOMETRICS_VIDEO_MAX_WIDTH,
    retainBytes: config.BIOMETRICS_VIDEO_RETAIN,
    source: EVENT_SOURCE,
    logger: logger.child({ component: 'video-analysis' }),
  });

  const videoJobsConsumer: NonNullable<ServiceParts['consumers']>[number] = {
    durable: VIDEO_JOBS_DURABLE,
    filter: 'media.video.submitted',
    maxDeliver: VIDEO_JOBS_MAX_DELIVER,
    ackWaitMs: config.BIOMETRICS_VIDEO_ACK_WAIT_MS,
    concurrency: config.BIOMETRICS_VIDEO_CONCURRENCY,
    // One job in hand per running analysis: the rest stay in the stream for other replicas.
    prefetch: config.BIOMETRICS_VIDEO_CONCURRENCY,
    handler: (event, delivery) => analysis.run((event.data as { jobId: string }).jobId, delivery),
  };

  const status = () => {
    const stats = pool.stats();
    return {
      inferenceBackend: stats.backend,
      inferenceWorkers: stats.workers,
      queueCapacity: stats.maxQueue,
      queued: stats.queued,
      modelId: FACEAPI_MODEL_ID,
      indexedTemplates: index.size,
      indexMode: index.mode,
    };
  };

  return {
    protoFiles: ['guardian/biometrics/v1/face.proto', 'guardian/biometrics/v1/media.proto'],
    services: [
      faceGrpc({
        logger,
        durations: grpcDurations,
        verifier,
        assertionKeys,
        faces,
        verification: faceVerify,
        liveness,
        verifyEnrollmentToken: (token) => verifyEnrollmentToken(identityKeys, token),
        signInCallers: ServiceCallers.parse(config.BIOMETRICS_SIGN_IN_CALLERS),
        status,
      }),
      mediaGrpc({ logger, durations: grpcDurations, verifier, media }),
    ],
    relayModels: [templates.model, attempts.model, livenessChecks.model, videoJobs.model],
    consumers: [
      {
        durable: USER_DELETED_DURABLE,
        filter: 'identity.user.deleted',
        maxDeliver: 10,
        handler: handleUserDeleted(faces),
      },
      ...(config.BIOMETRICS_VIDEO_ANALYSIS ? [videoJobsConsumer] : []),
    ],
    onShutdown: [
      { name: 'index-sync', run: () => indexSync.stop() },
      { name: 'revocations', run: () => revocations.stop() },
      { name: 'inference', run: () => pool.close() },
      {
        name: 'identity clients',
        run: () => {
          directory?.close();
          identityAuth?.close();
        },
      },
    ],
    internals: { pool, index, faces, indexSync, assertionKeys, templates, videoJobs, videoStore, analysis },
  };
}
