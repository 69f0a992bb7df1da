/**
 * Starts biometrics in-process for integration tests, the way app-kit's runGrpcService does (real
 * MongoDB-wire server, real NATS JetStream, real gRPC on port 0, real inference workers), with its
 * own database, stream and subject prefix. Access tokens are signed by a test "identity" KeyRing.
 */
import { startService } from '@guardian/app-kit';
import { randomBytes } from 'node:crypto';
import {
  KeyRing,
  issueLivenessChallenge,
  type LivenessAction,
  type LivenessChallenge,
  type LivenessPurpose,
  type Role,
} from '@guardian/auth';
import {
  EventBus,
  fromMessage,
  type GuardianEvent,
  type EventType,
  type EventPayload,
} from '@guardian/events';
import { DomainError } from '@guardian/domain';
import {
  createClient,
  errorInfoOf,
  isServiceError,
  keyRingIdentity,
  type AsyncClient,
} from '@guardian/grpc-kit';
import { expect } from 'vitest';
import { closeMongo, connectMongo } from '@guardian/mongo';
import { FaceServiceClient, FaceServiceService } from '@guardian/proto/gen/guardian/biometrics/v1/face';
import { MediaServiceClient, MediaServiceService } from '@guardian/proto/gen/guardian/biometrics/v1/media';
import { createMetricsRegistry } from '@guardian/runtime';
import { testLogger, testServers, uniqueId, uniqueSubjectPrefix } from '@guardian/testkit';
import { DeliverPolicy, type ConsumerMessages } from 'nats';
import type { Registry } from 'prom-client';
import { parseBiometricsConfig, type BiometricsConfig } from '../src/config.js';
import type { Account } from '../src/repositories/account-directory.repository.js';
import { setupBiometrics, type BiometricsInternals } from '../src/app.js';

/** The credential the harness's client presents as identity (BIOMETRICS_SIGN_IN_CALLERS). */
export const SERVICE_TOKEN = randomBytes(24).toString('hex');

export interface BiometricsHarness {
  /** A client calling as identity (with its service credential), as face sign-in does. */
  client: AsyncClient<FaceServiceClient>;
  /** Another client to the same server, with the given service credential or none (close it). */
  clientAs(serviceToken?: string): AsyncClient<FaceServiceClient>;
  /** A MediaService client (videos). */
  media: AsyncClient<MediaServiceClient>;
  config: BiometricsConfig;
  internals: BiometricsInternals;
  registry: Registry;
  bus: EventBus;
  /**
   * identity's view of accounts as biometrics reads it (role, status), by user id; tests set the
   * accounts whose state matters (an admin enrolling someone else). Unknown ids: no such user.
   */
  accounts: Map<string, Account>;
  /** Sessions identity would answer SESSION_REVOKED for (a token's `sid` is `s-<userId>`). */
  revokedSessions: Set<string>;
  /** Every event published under this harness' prefix, in stream order. */
  events: GuardianEvent[];
  /** An access token as identity would issue it. */
  token(userId: string, role?: Role, options?: { signedInSecAgo?: number }): Promise<string>;
  /** The enrollment token identity issues with a face-only registration. */
  enrollmentToken(userId: string): Promise<string>;
  /** A liveness session as identity's StartLiveness issues it (the actions given, or random ones). */
  livenessSession(input: {
    purpose: LivenessPurpose;
    userId?: string;
    client: { ip: string; userAgent: string };
    actions?: LivenessAction[];
    ttlSec?: number;
  }): Promise<{ token: string; challenge: LivenessChallenge }>;
  /** Publishes an event as another service would. */
  publish<T extends EventType>(type: T, data: EventPayload<T>, subject: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBiometrics(env: Record<string, string> = {}): Promise<BiometricsHarness> {
  const { natsUrl, mongoUrl } = testServers();
  const startedAt = new Date(Date.now() - 1_000);
  const config = parseBiometricsConfig({
    MONGO_URL: mongoUrl,
    NATS_URL: natsUrl,
    MONGO_DB: uniqueId('bio'),
    EVENTS_STREAM: uniqueId('S'),
    EVENTS_SUBJECT_PREFIX: uniqueSubjectPrefix(),
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    BIOMETRICS_INFERENCE_BACKEND: 'wasm',
    BIOMETRICS_INFERENCE_WORKERS: '2',
    BIOMETRICS_TEMPLATE_KEY: randomBytes(32).toString('base64'),
    BIOMETRICS_SIGN_IN_CALLERS: `identity=${SERVICE_TOKEN}`,
    // Photo enrollment, for the tests of matching and of the enrollment rules; the liveness tests
    // run the default (required) and say so.
    BIOMETRICS_LIVENESS_ENROLL: 'optional',
    ...env,
  });
  const logger = testLogger('biometrics');
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  const bus = await EventBus.connect({
    url: config.NATS_URL,
    stream: config.EVENTS_STREAM,
    prefix: config.EVENTS_SUBJECT_PREFIX,
    source: 'guardian/biometrics',
    logger,
  });
  const registry = createMetricsRegistry('biometrics');
  const identityKeys = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
  const assertionKeys = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);

  const accounts = new Map<string, Account>();
  const revokedSessions = new Set<string>();
  const service = await startService({
    config,
    logger,
    mongo,
    bus,
    registry,
    grpc: { host: config.GRPC_HOST, port: 0 },
    setup: (deps) =>
      setupBiometrics(deps, {
        identity: keyRingIdentity(identityKeys, revokedSessions),
        assertionKeys,
        accounts: { account: async (userId) => accounts.get(userId) ?? null },
      }),
    relayIntervalMs: 500,
  });
  const { grpc, parts } = service;

  // A test consumer of everything under the prefix (ordered, from before the service started).
  const events: GuardianEvent[] = [];
  const ordered = await bus.js.consumers.get(config.EVENTS_STREAM, {
    filterSubjects: `${config.EVENTS_SUBJECT_PREFIX}>`,
    // (DeliverPolicy.All hangs in consume() against nats-server 2.9 here; a start time works.)
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: startedAt.toISOString(),
  });
  const messages: ConsumerMessages = await ordered.consume();
  const collecting = (async () => {
    for await (const msg of messages) {
      try {
        events.push(fromMessage(msg.headers, msg.data));
      } catch {
        // not a Guardian event
      }
    }
  })();

  const address = `127.0.0.1:${grpc.port}`;
  const clientAs = (serviceToken?: string) =>
    createClient(FaceServiceClient, FaceServiceService, address, {
      deadlineMs: 120_000,
      ...(serviceToken ? { serviceToken } : {}),
    });
  const client = clientAs(SERVICE_TOKEN);
  const media = createClient(MediaServiceClient, MediaServiceService, address, { deadlineMs: 120_000 });
  return {
    client,
    media,
    clientAs,
    accounts,
    revokedSessions,
    config,
    internals: parts.internals,
    registry,
    bus,
    events,
    // As identity issues them: `auth_time` is the sign-in (default: just now).
    token: (userId, role = 'user', options = {}) =>
      identityKeys.sign(
        {
          sid: `s-${userId}`,
          role,
          auth_time: Math.floor(Date.now() / 1000) - (options.signedInSecAgo ?? 0),
        },
        { issuer: 'guardian-identity', audience: 'guardian', subject: userId, expiresInSec: 900 },
      ),
    enrollmentToken: (userId) =>
      identityKeys.sign(
        {},
        { issuer: 'guardian-identity', audience: 'guardian-enrollment', subject: userId, expiresInSec: 900 },
      ),
    livenessSession: ({ ttlSec = 120, ...input }) =>
      issueLivenessChallenge(identityKeys, { ...input, ttlSec }),
    publish: async (type, data, subject) => {
      await bus.publish(type, data, { subject });
    },
    close: async () => {
      client.close();
      media.close();
      await service.stop(2_000);
      await messages.close().catch(() => undefined);
      await collecting.catch(() => undefined);
      await bus.drain();
      await closeMongo(mongo);
    },
  };
}

/** The events of a type about a user. */
export const eventsOf = <T extends EventType>(
  h: BiometricsHarness,
  type: T,
  userId: string,
): GuardianEvent<T>[] =>
  h.events.filter((e): e is GuardianEvent<T> => e.type === type && e.subject === userId);

/** The DomainError of a failed call, with the gRPC status and ErrorInfo it came with. */
export async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  const cause = (error as DomainError).cause;
  if (!isServiceError(cause)) throw new Error('no gRPC status behind the error');
  const info = errorInfoOf(cause);
  return {
    code: cause.code,
    reason: info?.reason,
    retryAfterMs: info?.retryAfterMs ?? 0,
    metadata: info?.metadata ?? {},
  };
}
