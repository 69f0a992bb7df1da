/**
 * notifier pipeline benchmark (not a test): `npx tsx bench/notifier-pipeline.ts [--events 10000] [--users 1000] [--rate 1000]`
 *
 * The same path as bench/notifier.ts — a real nats-server (JetStream), the events kit's durable
 * consumer, the notifier's dispatcher, policy and React Email rendering — but with in-memory
 * repositories and an in-memory outbox instead of MongoDB. Comparing the two shows how much of the
 * end-to-end figure is the database (FerretDB/SQLite here) and how much is the notifier itself.
 */
import { randomUUID } from 'node:crypto';

import { EventBus, EventConsumer, encodeEvent, type GuardianEvent } from '@guardian/events';
import { createLogger } from '@guardian/logger';

import type { NotificationRecord } from '../apps/notifier/src/repositories/notification.repository.js';
import { applyUserEvent, type Contact, type UserEvent } from '../apps/notifier/src/services/address-book.js';
import {
  applyFailedAttempt,
  emptyDigest,
  type DigestState,
} from '../apps/notifier/src/services/failed-login-digest.js';
import type { MailTransport, OutgoingEmail } from '../apps/notifier/src/services/mail.js';
import { DEFAULT_PREFERENCES } from '../apps/notifier/src/services/notification-policy.js';
import { NotificationDispatcher } from '../apps/notifier/src/services/notification.service.js';
import { startNats } from '../libs/testkit/src/servers.js';
import { numberArg } from './lib/args.js';

const EVENTS = numberArg('events', 10_000);
const USERS = numberArg('users', 1_000);
const RATE = numberArg('rate', 1_000);
const CONCURRENCY = numberArg('concurrency', 32);
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const logger = createLogger('bench', { level: 'warn' });
  const nats = await startNats();
  const bus = await EventBus.connect({
    url: nats.url,
    stream: 'GUARDIAN',
    prefix: '',
    source: 'guardian/bench',
    logger,
  });

  const contacts = new Map<string, Contact>();
  const digests = new Map<string, DigestState>();
  const records = new Map<string, NotificationRecord & { at: number }>();
  const stored = new Map<string, OutgoingEmail>();
  let sends = 0;
  const transport: MailTransport = {
    name: 'outbox',
    send: async (email) => {
      sends++;
      stored.set(email.idempotencyKey, email);
      return { ok: true, providerId: email.idempotencyKey };
    },
  };
  const write = (eventId: string, fields: Partial<NotificationRecord>) => {
    const previous = records.get(eventId);
    records.set(eventId, {
      ...(previous ?? ({} as NotificationRecord)),
      ...fields,
      eventId,
      at: Date.now(),
    } as NotificationRecord & { at: number });
  };
  const dispatcher = new NotificationDispatcher(
    {
      contacts: {
        get: async (userId) => contacts.get(userId),
        apply: async (event: UserEvent) => {
          const next = applyUserEvent(contacts.get(event.data.userId), event);
          if (next) contacts.set(next.userId, next);
          return next;
        },
      },
      preferences: { get: async () => ({ ...DEFAULT_PREFERENCES }) },
      digests: {
        apply: async (userId, attempt, windowMs) => {
          const result = applyFailedAttempt(digests.get(userId) ?? emptyDigest(userId), attempt, windowMs);
          digests.set(userId, result.state);
          return result.decision;
        },
      },
      notifications: {
        get: async (eventId) => records.get(eventId),
        recordSuppressed: async (init, reason) => {
          if (records.has(init.eventId)) return false;
          write(init.eventId, { ...init, status: 'suppressed', suppressedReason: reason });
          return true;
        },
        recordFinal: async (init, outcome) => write(init.eventId, { ...init, ...outcome }),
        recordRetry: async (init, attempts, lastError) =>
          write(init.eventId, { ...init, status: 'pending', attempts, lastError }),
      },
      transport,
      deadLetters: { publish: async () => undefined },
      forgetUser: async () => undefined,
    },
    {
      from: 'Guardian <no-reply@guardian.local>',
      digestWindowMs: 15 * 60_000,
      maxDeliver: 10,
      backoff: { baseMs: 1000, maxMs: 60_000 },
      noAddressRetries: 3,
      noAddressDelayMs: 500,
    },
    logger,
  );
  const consumer = await EventConsumer.start(bus, {
    durable: 'notifier',
    maxDeliver: 10,
    concurrency: CONCURRENCY,
    logger,
    handler: (event: GuardianEvent, delivery) => dispatcher.handle(event, delivery),
  });

  const publish = async (
    type: 'identity.user.registered' | 'identity.login.succeeded',
    data: object,
    id: string,
  ) => {
    await bus.publishEncoded(
      encodeEvent(type, data as never, {
        source: 'guardian/bench',
        subject: (data as { userId: string }).userId,
        id,
      }),
      30_000,
    );
  };
  const waitFor = async (count: number) => {
    while (records.size < count) await sleep(20);
  };

  try {
    const users = Array.from({ length: USERS }, () => randomUUID());
    await Promise.all(
      users.map((userId, i) =>
        publish(
          'identity.user.registered',
          {
            userId,
            email: `user${i}@example.com`,
            fullName: `User ${i}`,
            username: `u${i}`,
            locale: ['en', 'pt-BR', 'es'][i % 3],
          },
          randomUUID(),
        ),
      ),
    );
    await waitFor(USERS);
    console.log(`registered ${USERS} users`);

    const phase = async (name: string, pace: number | undefined) => {
      const base = records.size;
      const sendsBefore = sends;
      const published = new Map<string, number>();
      const started = Date.now();
      let inFlight: Promise<void>[] = [];
      for (let i = 0; i < EVENTS; i++) {
        if (pace) {
          const wait = started + (i * 1000) / pace - Date.now();
          if (wait > 0) await sleep(wait);
        }
        const id = randomUUID();
        published.set(id, Date.now());
        inFlight.push(
          publish(
            'identity.login.succeeded',
            {
              userId: users[i % USERS],
              sessionId: `s${i}`,
              method: 'password',
              client: { ip: `203.0.113.${i % 250}`, userAgent: UA },
              at: new Date(),
            },
            id,
          ),
        );
        if (inFlight.length >= 256) {
          await Promise.all(inFlight);
          inFlight = [];
        }
      }
      await Promise.all(inFlight);
      await waitFor(base + EVENTS);
      const mine = [...published.keys()].map((id) => records.get(id)).filter((r) => r !== undefined);
      const seconds = (Math.max(...mine.map((r) => r.at)) - started) / 1000;
      const latencies = mine.map((r) => r.at - published.get(r.eventId)!).sort((a, b) => a - b);
      const sent = mine.filter((r) => r.status === 'sent').length;
      const storedMine = [...published.keys()].filter((id) => stored.has(id)).length;
      console.log(
        `\n${name}: ${EVENTS} login.succeeded events${pace ? ` paced at ${pace}/s` : ' as fast as possible'} (in-memory repositories)`,
      );
      console.log(
        `  throughput: ${(EVENTS / seconds).toFixed(0)} events/s (last record after ${seconds.toFixed(1)} s)`,
      );
      console.log(
        `  publish -> delivery record: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms`,
      );
      console.log(
        `  records ${mine.length}/${EVENTS} (sent ${sent}), stored ${storedMine}, sends ${sends - sendsBefore}: lost ${EVENTS - mine.length}, doubled ${sends - sendsBefore - mine.length}`,
      );
    };
    await phase('burst', undefined);
    await phase('paced', RATE);
    console.log(
      `\n(nats-server; consumer concurrency ${CONCURRENCY}; Node ${process.version}, NODE_ENV=${process.env.NODE_ENV ?? 'unset'})`,
    );
  } finally {
    await consumer.stop();
    await bus.drain();
    await nats.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
