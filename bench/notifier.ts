/**
 * notifier benchmark (not a test): `npx tsx bench/notifier.ts [--events 10000] [--users 1000] [--paced-events 10000] [--rate 1000] [--concurrency 128]`
 *
 * Starts its own nats-server and FerretDB/mongod (libs/testkit) and the notifier as a separate
 * process (`apps/notifier/src/main.ts`, outbox transport: no Resend key), registers `--users` users
 * (their welcome e-mails are not measured), then publishes `identity.login.succeeded` events, each
 * of which renders and stores one e-mail:
 * 1. burst: `--events` published as fast as JetStream takes them; events/s = events / time from the
 *    first publish to the last delivery record;
 * 2. paced: `--paced-events` more at `--rate` events/s: the latency of a sustained load (the
 *    issue's target: 1,000 events/s with p99 <= 50 ms).
 * Both report p50/p99 from publish to the delivery record: to the moment the event was acked, which
 * the notifier does once the record is written (JetStream's ack metric, sampled for every event,
 * tells the bench), and, for comparison, to the record's own `sentAt`, stamped before it is written.
 * Each phase counts records, kept messages (the outbox keeps each in its record) and send attempts:
 * none lost, none doubled.
 */
import { randomUUID } from 'node:crypto';

import type { Subscription } from 'nats';

import { EventBus, encodeEvent } from '@guardian/events';
import { createLogger } from '@guardian/logger';
import { closeMongo, connectMongo } from '@guardian/mongo';

import { startApp } from '../libs/testkit/src/processes.js';
import { freePort, startMongo, startNats } from '../libs/testkit/src/servers.js';
import { numberArg } from './lib/args.js';

const EVENTS = numberArg('events', 10_000);
const USERS = numberArg('users', 1_000);
const RATE = numberArg('rate', 1_000);
const PACED_EVENTS = numberArg('paced-events', 10_000);
// The outbox transport has no rate limit to respect (README: NOTIFIER_CONCURRENCY).
const CONCURRENCY = numberArg('concurrency', 128);

const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RecordRow {
  _id: string;
  status: string;
  attempts: number;
  sentAt: Date | null;
  message?: { from: string };
}

async function main() {
  const logger = createLogger('bench', { level: 'warn' });
  const [nats, mongo] = await Promise.all([startNats(), startMongo()]);
  const db = 'guardian_notifier_bench';
  const metricsPort = await freePort();
  const app = startApp('notifier', {
    LOG_LEVEL: 'info',
    MONGO_URL: mongo.url,
    MONGO_DB: db,
    NATS_URL: nats.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(await freePort()),
    METRICS_PORT: String(metricsPort),
    NOTIFIER_IDENTITY_ADDRESS: '127.0.0.1:1',
    NOTIFIER_CONCURRENCY: String(CONCURRENCY),
    // e.g. `--import ./profile.mjs` to profile the notifier during the run
    ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
    NODE_ENV: 'production',
  });
  const bus = await EventBus.connect({
    url: nats.url,
    stream: 'GUARDIAN',
    prefix: '',
    source: 'guardian/bench',
    logger,
  });
  const conn = await connectMongo({ url: mongo.url, dbName: db, logger });
  const records = conn.collection<RecordRow>('notifications');
  let ackMetrics: Subscription | undefined;
  try {
    await app.waitForLog(/notifier ready/, 60_000);

    // JetStream publishes an ack metric per acked event once the consumer samples 100%.
    const durable = 'notifier';
    await bus.jsm.consumers.update('GUARDIAN', durable, { sample_freq: '100%' });
    const ackedAt = new Map<number, number>();
    ackMetrics = bus.nc.subscribe(`$JS.EVENT.METRIC.CONSUMER.ACK.GUARDIAN.${durable}`, {
      callback: (_error, msg) => {
        ackedAt.set((msg.json() as { stream_seq: number }).stream_seq, Date.now());
      },
    });

    const publish = async (
      type: 'identity.user.registered' | 'identity.login.succeeded',
      data: object,
      id: string,
    ): Promise<number> => {
      const event = encodeEvent(type, data as never, {
        source: 'guardian/bench',
        subject: (data as { userId: string }).userId,
        id,
      });
      return (await bus.publishEncoded(event, 30_000)).seq;
    };
    // Progress from the notifier's own /metrics (outcome counters), so polling adds no database load.
    const outcomes = async () => {
      const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
      return [...text.matchAll(/^notifier_notifications_total\{[^}]*\} (\d+)/gm)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
    };
    let expected = 0;
    const waitForRecords = async (count: number, what: string) => {
      expected += count;
      for (;;) {
        if ((await outcomes()) >= expected) return;
        if (app.child.exitCode !== null)
          throw new Error(`notifier exited during ${what}:\n${app.output().slice(-2000)}`);
        await sleep(250);
      }
    };

    // Users (not measured).
    const users = Array.from({ length: USERS }, () => randomUUID());
    await Promise.all(
      users.map(async (userId, i) => {
        const id = randomUUID();
        await publish(
          'identity.user.registered',
          {
            userId,
            email: `user${i}@example.com`,
            fullName: `User ${i}`,
            username: `user${i}`,
            locale: ['en', 'pt-BR', 'es'][i % 3],
          },
          id,
        );
      }),
    );
    await waitForRecords(USERS, 'registration');
    console.log(`registered ${USERS} users (welcome e-mails stored)`);

    const login = (i: number) => ({
      userId: users[i % USERS]!,
      sessionId: `s${i}`,
      method: i % 2 ? 'password' : 'face',
      client: { ip: `203.0.113.${i % 250}`, userAgent: UA },
      at: new Date(),
    });

    interface Phase {
      name: string;
      pace: number | undefined;
      count: number;
      started: number;
      publishedIn: number;
      published: Map<string, number>;
      sequences: Map<string, number>;
    }
    const phase = async (name: string, pace: number | undefined, count: number): Promise<Phase> => {
      const published = new Map<string, number>();
      const sequences = new Map<string, number>();
      const started = Date.now();
      let inFlight: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        if (pace) {
          const due = started + (i * 1000) / pace;
          const wait = due - Date.now();
          if (wait > 0) await sleep(wait);
        }
        const id = randomUUID();
        published.set(id, Date.now());
        inFlight.push(
          publish('identity.login.succeeded', login(i), id).then((seq) => void sequences.set(id, seq)),
        );
        if (inFlight.length >= 256) {
          await Promise.all(inFlight);
          inFlight = [];
        }
      }
      await Promise.all(inFlight);
      const publishedIn = (Date.now() - started) / 1000;
      await waitForRecords(count, name);
      // The last ack metrics may still be on their way.
      for (let i = 0; i < 40 && [...sequences.values()].some((seq) => !ackedAt.has(seq)); i++)
        await sleep(50);
      return { name, pace, count, started, publishedIn, published, sequences };
    };

    const report = (run: Phase, allRows: RecordRow[]) => {
      const { name, pace, count, started, published, sequences } = run;
      const rows = allRows.filter((r) => published.has(r._id));
      const acks = [...sequences].map(([id, seq]) => ({ id, at: ackedAt.get(seq) }));
      const unacked = acks.filter((a) => a.at === undefined).length;
      const lastAck = Math.max(...acks.map((a) => a.at ?? 0));
      const seconds = (lastAck - started) / 1000;
      const toAck = acks
        .filter((a) => a.at !== undefined)
        .map((a) => a.at! - published.get(a.id)!)
        .sort((a, b) => a - b);
      const toSentAt = rows
        .filter((r) => r.sentAt)
        .map((r) => r.sentAt!.getTime() - published.get(r._id)!)
        .sort((a, b) => a - b);
      const figures = (sorted: number[]) =>
        `p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms, max ${sorted.at(-1)} ms`;
      const kept = rows.filter((r) => r.message?.from).length;
      const sent = rows.filter((r) => r.status === 'sent').length;
      const attempts = rows.reduce((sum, r) => sum + r.attempts, 0);
      console.log(
        `\n${name}: ${count} login.succeeded events${pace ? ` paced at ${pace}/s` : ' as fast as possible'}`,
      );
      console.log(
        `  published in ${run.publishedIn.toFixed(1)} s; last event acked after ${seconds.toFixed(1)} s`,
      );
      console.log(`  throughput: ${(count / seconds).toFixed(0)} events/s`);
      console.log(`  publish -> record written and event acked: ${figures(toAck)}`);
      console.log(`  publish -> record's sentAt (stamped before the write): ${figures(toSentAt)}`);
      if (unacked > 0)
        console.log(`  (${unacked} ack metrics did not arrive; those events are left out above)`);
      console.log(
        `  records ${rows.length}/${count} (sent ${sent}), kept messages ${kept}, send attempts ${attempts}`,
      );
      console.log(
        `  lost ${count - Math.min(rows.length, kept)}, doubled ${Math.max(0, attempts - rows.length) + Math.max(0, kept - sent)}`,
      );
    };

    const burst = await phase('burst', undefined, EVENTS);
    const paced = await phase('paced', RATE, PACED_EVENTS);
    // Read once both phases are over, so this scan does not load the database during a measurement.
    const rows = await records
      .find({}, { projection: { status: 1, attempts: 1, sentAt: 1, 'message.from': 1 } })
      .toArray();
    report(burst, rows);
    report(paced, rows);
    const mongoKind = (mongo as { kind?: string }).kind ?? 'mongo';
    console.log(
      `\n(servers: nats-server, ${mongoKind}; notifier concurrency ${CONCURRENCY}; ${process.platform} ${process.arch}, Node ${process.version})`,
    );
  } finally {
    await app.stop();
    await closeMongo(conn).catch(() => undefined);
    ackMetrics?.unsubscribe();
    await bus.drain().catch(() => undefined);
    await Promise.all([nats.stop(), mongo.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
