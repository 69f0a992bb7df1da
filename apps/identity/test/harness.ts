import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService } from '@guardian/app-kit';
import { KeyRing } from '@guardian/auth';
import { ack, EventBus, EventConsumer, type EventType, type GuardianEvent } from '@guardian/events';
import { createClient, implement, startGrpcServer } from '@guardian/grpc-kit';
import { closeMongo, connectMongo, type Connection } from '@guardian/mongo';
import { FaceServiceService } from '@guardian/proto/gen/guardian/biometrics/v1/face';
import { AuthServiceClient, AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';
import { UserServiceClient, UserServiceService } from '@guardian/proto/gen/guardian/identity/v1/user';
import {
  VerificationServiceClient,
  VerificationServiceService,
} from '@guardian/proto/gen/guardian/identity/v1/verification';
import type { Logger } from '@guardian/logger';
import { createMetricsRegistry } from '@guardian/runtime';
import { testLogger, testServers, uniqueId, uniqueSubjectPrefix, waitFor } from '@guardian/testkit';
import { setupIdentity } from '../src/app.js';
import { loadIdentityConfig } from '../src/config.js';

export const MASTER = {
  username: 'root-master',
  email: 'master@example.com',
  password: 'Master passphrase for tests 1',
};

/** A stand-in for biometrics: a real gRPC server answering FaceService.GetJwks with a test key. */
export async function startFakeBiometrics(): Promise<{
  address: string;
  keys: KeyRing;
  stop: () => Promise<void>;
}> {
  const keys = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
  const logger = testLogger('fake-biometrics');
  const server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    logger,
    protoFiles: ['guardian/biometrics/v1/face.proto'],
    services: [
      {
        name: 'guardian.biometrics.v1.FaceService',
        // Only the RPC identity calls: a real gRPC method with the real contract.
        definition: { getJwks: FaceServiceService.getJwks },
        implementation: implement(
          { getJwks: FaceServiceService.getJwks },
          { getJwks: async () => ({ jwks: keys.publicJwks() as never }) } as never,
          { logger },
        ),
      },
    ],
  });
  server.setServing(true);
  return { address: `127.0.0.1:${server.port}`, keys, stop: () => server.shutdown(1_000) };
}

/** Everything the identity instance published, read back from JetStream by a durable consumer. */
export class EventTap {
  readonly events: GuardianEvent[] = [];
  private constructor(private consumer: EventConsumer) {}

  static async start(bus: EventBus): Promise<EventTap> {
    const events: GuardianEvent[] = [];
    const seen = new Set<string>();
    // Redelivery (a pull that broke under load before the ack) is a transport artifact, not a second
    // event: the tap keeps one entry per event id. Two publishes of one action would have two ids.
    const consumer = await EventConsumer.start(bus, {
      durable: uniqueId('tap'),
      maxDeliver: 20,
      ackWaitMs: 3_000,
      concurrency: 1,
      logger: testLogger('tap'),
      handler: async (event) => {
        if (!seen.has(event.id)) {
          seen.add(event.id);
          events.push(event);
        }
        return ack();
      },
    });
    const tap = new EventTap(consumer);
    (tap as { events: GuardianEvent[] }).events = events;
    return tap;
  }

  of<T extends EventType>(type: T, subject?: string): GuardianEvent<T>[] {
    return this.events.filter(
      (e) => e.type === type && (subject === undefined || e.subject === subject),
    ) as GuardianEvent<T>[];
  }

  /** Waits until `count` events of the type (about `subject`) arrived; returns them. */
  async expect<T extends EventType>(type: T, subject?: string, count = 1): Promise<GuardianEvent<T>[]> {
    await waitFor(() => this.of(type, subject).length >= count, {
      what: `${count} × ${type}`,
      timeoutMs: 15_000,
    });
    return this.of(type, subject);
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }
}

export interface IdentityHarness {
  address: string;
  auth: ReturnType<typeof createClient<InstanceType<typeof AuthServiceClient>>>;
  users: ReturnType<typeof createClient<InstanceType<typeof UserServiceClient>>>;
  verification: ReturnType<typeof createClient<InstanceType<typeof VerificationServiceClient>>>;
  bus: EventBus;
  tap: EventTap;
  mongo: Connection;
  biometrics: Awaited<ReturnType<typeof startFakeBiometrics>>;
  stop(): Promise<void>;
}

/**
 * Identity in-process, booted the way app-kit boots it (own database, own stream and subject
 * prefix), on a real gRPC port with the generated clients; plus a fake biometrics for its JWKS.
 */
export async function startIdentity(
  env: Record<string, string> = {},
  options: { logger?: Logger } = {},
): Promise<IdentityHarness> {
  const { natsUrl, mongoUrl } = testServers();
  const logger = options.logger ?? testLogger('identity');
  const biometrics = await startFakeBiometrics();
  const config = loadIdentityConfig({
    MONGO_URL: withPoolSize(mongoUrl),
    MONGO_DB: uniqueId('identity_'),
    NATS_URL: natsUrl,
    EVENTS_STREAM: uniqueId('IDT'),
    EVENTS_SUBJECT_PREFIX: uniqueSubjectPrefix(),
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    IDENTITY_DEV_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'identity-keys-')), 'keys.json'),
    IDENTITY_BOOTSTRAP_PASSWORD_FILE: join(mkdtempSync(join(tmpdir(), 'identity-master-')), 'otp.txt'),
    IDENTITY_BIOMETRICS_ADDRESS: biometrics.address,
    IDENTITY_BOOTSTRAP_MASTER_USERNAME: MASTER.username,
    IDENTITY_BOOTSTRAP_MASTER_EMAIL: MASTER.email,
    IDENTITY_BOOTSTRAP_MASTER_PASSWORD: MASTER.password,
    IDENTITY_ACCOUNT_DELAY_BASE_MS: '0',
    IDENTITY_IP_DELAY_BASE_MS: '0',
    // The fake biometrics scores no liveness: photo sign-in here; the liveness policy is tested
    // with the real services (test/liveness.test.ts) and in sign-in.service.spec.ts.
    IDENTITY_LIVENESS_SIGN_IN: 'optional',
    ...env,
  });
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  const bus = await EventBus.connect({
    url: config.NATS_URL,
    stream: config.EVENTS_STREAM,
    prefix: config.EVENTS_SUBJECT_PREFIX,
    source: 'guardian/identity',
    logger,
  });
  const tap = await EventTap.start(bus);
  const registry = createMetricsRegistry('identity-test');
  const service = await startService({
    config,
    logger,
    mongo,
    bus,
    registry,
    grpc: { host: config.GRPC_HOST, port: config.GRPC_PORT },
    setup: setupIdentity,
    relayIntervalMs: 1_000,
  });
  const { grpc } = service;
  const address = `127.0.0.1:${grpc.port}`;
  const auth = createClient(AuthServiceClient, AuthServiceService, address, { deadlineMs: 15_000 });
  const users = createClient(UserServiceClient, UserServiceService, address, { deadlineMs: 15_000 });
  const verification = createClient(VerificationServiceClient, VerificationServiceService, address, {
    deadlineMs: 15_000,
  });
  return {
    address,
    auth,
    users,
    verification,
    bus,
    tap,
    mongo,
    biometrics,
    stop: async () => {
      auth.close();
      users.close();
      verification.close();
      await service.stop(1_000);
      await tap.stop();
      await bus.drain();
      await mongo.dropDatabase().catch(() => undefined);
      await closeMongo(mongo);
      await biometrics.stop();
    },
  };
}

/** Expects a rejected call with this reason; returns the error for further checks. */
export async function rejection(promise: Promise<unknown>): Promise<{
  reason: string;
  kind: string;
  retryAfterMs?: number | undefined;
  metadata: Record<string, string>;
}> {
  try {
    await promise;
  } catch (error) {
    return error as { reason: string; kind: string; retryAfterMs?: number; metadata: Record<string, string> };
  }
  throw new Error('expected the call to fail');
}

let counter = 0;
/** A fresh, valid registration. */
export function newUser(
  overrides: Partial<{
    username: string;
    email: string;
    password: string;
    fullName: string;
    locale: string;
  }> = {},
) {
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}${Math.floor(Math.random() * 1e4)}`;
  return {
    username: `user_${n}`,
    email: `user.${n}@example.com`,
    password: `Long unusual passphrase ${n}`,
    fullName: `Test User ${n}`,
    locale: 'en',
    ...overrides,
  };
}

export const client = (ip = '203.0.113.7', userAgent = 'vitest/identity') => ({ ip, userAgent });

/**
 * One connection to the test server. FerretDB 1.x (SQLite backend) was seen serving a write's old
 * version to a read or update arriving on another connection right after it under load (see
 * README "Known limits"); a single connection keeps the test instance consistent. Not needed with
 * MongoDB.
 */
function withPoolSize(url: string): string {
  if (process.env.IDENTITY_TEST_POOL === 'default') return url;
  const parsed = new URL(url);
  parsed.searchParams.set('maxPoolSize', '1');
  return parsed.toString();
}
