import { startService } from '@guardian/app-kit';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, KeyRing } from '@guardian/auth';
import { loadConfig } from '@guardian/config';
import {
  encodeEvent,
  EventBus,
  type EventHandler,
  type EventPayload,
  type EventType,
} from '@guardian/events';
import { createClient, keyRingIdentity } from '@guardian/grpc-kit';
import { closeMongo, connectMongo, type Connection } from '@guardian/mongo';
import {
  NotificationServiceClient,
  NotificationServiceService,
} from '@guardian/proto/gen/guardian/notifier/v1/notification';
import { createMetricsRegistry } from '@guardian/runtime';
import { testLogger, testServers, uniqueId, uniqueSubjectPrefix, waitFor } from '@guardian/testkit';
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';

import { setupNotifier, type NotifierParts } from '../src/app.js';
import { notifierSchema, type NotifierConfig } from '../src/config.js';
import type { NotificationRecord } from '../src/repositories/notification.repository.js';

export const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

/** Where a test's events live: its own stream and subject prefix on the shared NATS. */
export interface EventSpace {
  stream: string;
  prefix: string;
}

export const newEventSpace = (): EventSpace => ({ stream: uniqueId('NTF'), prefix: uniqueSubjectPrefix() });

/** Publishes events the way identity/biometrics do (CloudEvents headers, Nats-Msg-Id = id). */
export class Publisher {
  private constructor(readonly bus: EventBus) {}

  static async connect(space: EventSpace): Promise<Publisher> {
    const bus = await EventBus.connect({
      url: testServers().natsUrl,
      stream: space.stream,
      prefix: space.prefix,
      source: 'guardian/test',
      logger: testLogger('publisher'),
    });
    return new Publisher(bus);
  }

  async publish<T extends EventType>(
    type: T,
    data: Partial<EventPayload<T>>,
    options: { id?: string; time?: Date } = {},
  ): Promise<string> {
    const subject = String((data as { userId?: string }).userId ?? '');
    const event = encodeEvent(type, data as EventPayload<T>, {
      source: 'guardian/test',
      subject,
      id: options.id ?? randomUUID(),
      ...(options.time ? { time: options.time } : {}),
    });
    await this.bus.publishEncoded(event);
    return event.id;
  }

  /** Registers a user the way identity announces it. */
  async register(user: {
    userId: string;
    email: string;
    fullName?: string;
    locale?: string;
  }): Promise<string> {
    return this.publish('identity.user.registered', {
      userId: user.userId,
      email: user.email,
      fullName: user.fullName ?? 'Test User',
      username: user.userId,
      locale: user.locale ?? 'en',
      role: 'user',
      registrationKind: 'password',
    });
  }

  close(): Promise<void> {
    return this.bus.drain();
  }
}

export interface NotifierHarness {
  config: NotifierConfig;
  parts: NotifierParts;
  bus: EventBus;
  mongo: Connection;
  registry: Registry;
  address: string;
  keys: KeyRing;
  client: ReturnType<typeof createClient<InstanceType<typeof NotificationServiceClient>>>;
  /** An access token as identity would sign it. */
  token(userId: string, role?: 'user' | 'admin' | 'master'): Promise<string>;
  record(eventId: string): Promise<NotificationRecord | undefined>;
  /** Waits until the event's record reaches one of `statuses`. */
  settled(eventId: string, statuses?: NotificationRecord['status'][]): Promise<NotificationRecord>;
  /** Stops the consumer and gRPC without touching the data (a crashed or restarted instance). */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * The notifier in-process, booted like app-kit boots it (own database), on a real gRPC port, with
 * the events of `space`. `wrap` lets a test interpose on the consumer handler (crash simulation).
 */
export async function startNotifier(
  space: EventSpace,
  options: {
    env?: Record<string, string>;
    db?: string;
    wrap?: (handler: EventHandler) => EventHandler;
    keys?: KeyRing;
  } = {},
): Promise<NotifierHarness> {
  const { natsUrl, mongoUrl } = testServers();
  const logger = testLogger('notifier');
  const config = loadConfig(notifierSchema, {
    MONGO_URL: mongoUrl,
    MONGO_DB: options.db ?? uniqueId('notifier_'),
    NATS_URL: natsUrl,
    EVENTS_STREAM: space.stream,
    EVENTS_SUBJECT_PREFIX: space.prefix,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    NOTIFIER_RETRY_BASE_MS: '200',
    NOTIFIER_RETRY_MAX_MS: '2000',
    NOTIFIER_NO_ADDRESS_DELAY_MS: '300',
    ...options.env,
  });
  const keys = options.keys ?? (await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]));
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  const bus = await EventBus.connect({
    url: config.NATS_URL,
    stream: config.EVENTS_STREAM,
    prefix: config.EVENTS_SUBJECT_PREFIX,
    source: 'guardian/notifier',
    logger,
  });
  const registry = createMetricsRegistry('notifier-test');
  // notifier queues no pendingEvents: its relay has no model to watch.
  const service = await startService({
    config,
    logger,
    mongo,
    bus,
    registry,
    grpc: { host: config.GRPC_HOST, port: config.GRPC_PORT },
    setup: (deps) => setupNotifier(deps, { identity: keyRingIdentity(keys) }),
    ...(options.wrap ? { wrapHandler: options.wrap } : {}),
  });
  const { grpc, parts } = service;
  const address = `127.0.0.1:${grpc.port}`;
  const client = createClient(NotificationServiceClient, NotificationServiceService, address, {
    deadlineMs: 15_000,
  });
  const record = (eventId: string) => parts.repositories.notifications.get(eventId);
  return {
    config,
    parts,
    bus,
    mongo,
    registry,
    address,
    keys,
    client,
    token: (userId, role = 'user') =>
      keys.sign(
        { sid: `s-${userId}`, role },
        { issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE, subject: userId, expiresInSec: 900 },
      ),
    record,
    settled: (eventId, statuses = ['sent', 'failed', 'suppressed']) =>
      waitFor(
        async () => {
          const r = await record(eventId);
          return r && statuses.includes(r.status) ? r : undefined;
        },
        { what: `notification ${eventId} in ${statuses.join('|')}`, timeoutMs: 30_000 },
      ),
    stop: async ({ keepData = false } = {}) => {
      client.close();
      await service.stop(1_000);
      await bus.drain().catch(() => undefined);
      if (!keepData) await mongo.dropDatabase().catch(() => undefined);
      await closeMongo(mongo);
    },
  };
}

/**
 * Listens on the dead-letter subject (a core NATS subscription sees what JetStream stores there).
 * Entries carry the event id and the reason header.
 */
export function watchDeadLetters(
  bus: EventBus,
  durable: string,
): { entries: Array<{ eventId: string; reason: string }>; stop: () => Promise<void> } {
  const entries: Array<{ eventId: string; reason: string }> = [];
  const subscription = bus.nc.subscribe(bus.deadLetterSubject(durable), {
    callback: (error, msg) => {
      if (!error)
        entries.push({
          eventId: msg.headers?.get('ce-id') ?? '',
          reason: msg.headers?.get('x-dead-letter-reason') ?? '',
        });
    },
  });
  return { entries, stop: async () => subscription.unsubscribe() };
}
