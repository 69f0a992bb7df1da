/**
 * Fault injection over real processes (issue "Faults, fuzz and load", item 2):
 *   npm run chaos [-- --scale 0.1] [-- nats-outage sigkill]
 * Each scenario starts its own NATS (JetStream, temp store), MongoDB-wire server and apps on free
 * ports, drives load through the public gRPC contracts, injects its fault, waits for the mesh to
 * settle, checks its invariants against the services' own databases and prints a row:
 * scenario -> load, fault, invariants checked, result. Exit code 1 when any invariant failed.
 *
 * Scenarios so far:
 *  - nats-outage: NATS stopped for 30 s in the middle of N registrations and N sign-ins. Afterwards
 *    every welcome and sign-in e-mail exists exactly once, no event is left pending on a document,
 *    and no client call failed.
 *  - mongo-restart: the MongoDB-wire server stopped for 15 s under the same load, then started:
 *    identity reports not-ready meanwhile and ready after, no app restarts, clients see only
 *    retryable errors, and nothing a client was told is lost (the checks below).
 *  - sigkill: identity and notifier SIGKILLed at random moments under the same load, then restarted.
 *    Afterwards every account the client was told exists has exactly one welcome e-mail, every
 *    session the client got exists in identity, no event is left pending, and clients saw only
 *    retryable errors (UNAVAILABLE), never a wrong answer.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@guardian/grpc-kit';
import { AuthServiceClient, AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';
import {
  freePort,
  startApp,
  testLogger,
  startMongo,
  startNats,
  uniqueId,
  type AppProcess,
  type RestartableServer,
} from '@guardian/testkit';
import { closeMongo, connectMongo } from '@guardian/mongo';

const args = process.argv.slice(2);
const scaleArg = args.indexOf('--scale');
const SCALE = scaleArg >= 0 ? Number(args[scaleArg + 1]) : Number(process.env.CHAOS_SCALE ?? 1);
const chosen = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--scale');
const N = Math.max(10, Math.round(1000 * SCALE));
const OUTAGE_MS = Math.max(3_000, Math.round(30_000 * Math.min(1, SCALE * 4)));
const CONCURRENCY = 12;

interface Row {
  scenario: string;
  load: string;
  fault: string;
  invariants: string[];
  failures: string[];
  seconds: number;
}

/** identity + notifier on their own NATS, MongoDB-wire server, databases and ports. */
async function startMesh(nats: RestartableServer, mongo: RestartableServer) {
  const dir = await mkdtemp(join(tmpdir(), 'guardian-chaos-'));
  const ports = { identity: await freePort(), notifier: await freePort() };
  const common = {
    NATS_URL: nats.url,
    MONGO_URL: mongo.url,
    EVENTS_STREAM: uniqueId('CHAOS'),
    EVENTS_SUBJECT_PREFIX: `${uniqueId()}.`,
    LOG_LEVEL: 'info',
    GRPC_HOST: '127.0.0.1',
  };
  const env = {
    identity: {
      ...common,
      MONGO_DB: uniqueId('chaos_identity_'),
      GRPC_PORT: String(ports.identity),
      METRICS_PORT: String(await freePort()),
      IDENTITY_DEV_KEY_FILE: join(dir, 'identity-keys.json'),
      IDENTITY_BOOTSTRAP_MASTER_USERNAME: 'chaos-master',
      IDENTITY_BOOTSTRAP_MASTER_EMAIL: 'chaos-master@example.com',
      IDENTITY_BOOTSTRAP_MASTER_PASSWORD: `Chaos master ${randomBytes(6).toString('hex')}`,
      IDENTITY_BIOMETRICS_ADDRESS: '127.0.0.1:1',
      IDENTITY_IP_DELAY_BASE_MS: '0',
      IDENTITY_IP_DELAY_AFTER: '1000000',
      IDENTITY_IP_LOCK_AFTER: '1000000',
      IDENTITY_RELAY_INTERVAL_MS: '200',
    },
    notifier: {
      ...common,
      MONGO_DB: uniqueId('chaos_notifier_'),
      GRPC_PORT: String(ports.notifier),
      METRICS_PORT: String(await freePort()),
      NOTIFIER_IDENTITY_ADDRESS: `127.0.0.1:${ports.identity}`,
      NOTIFIER_RETRY_BASE_MS: '200',
      NOTIFIER_NO_ADDRESS_DELAY_MS: '200',
    },
  };
  const metrics = { identity: env.identity.METRICS_PORT, notifier: env.notifier.METRICS_PORT };
  const processes = new Map<'identity' | 'notifier', AppProcess>();
  const launch = async (name: 'identity' | 'notifier') => {
    const p = startApp(name, env[name]);
    processes.set(name, p);
    await p.waitForLog(new RegExp(`"msg":"${name} ready"`), 120_000);
  };
  await launch('identity');
  await launch('notifier');
  const identity = createClient(AuthServiceClient, AuthServiceService, `127.0.0.1:${ports.identity}`, {
    deadlineMs: 20_000,
  });
  const db = await connectMongo({
    url: mongo.url,
    dbName: env.identity.MONGO_DB,
    logger: testLogger('chaos'),
  });
  return {
    identity,
    identityDb: db,
    notifierDb: db.useDb(env.notifier.MONGO_DB),
    /** The app's readiness probe: true when /readyz answers 200. */
    ready: async (name: 'identity' | 'notifier') =>
      (await fetch(`http://127.0.0.1:${metrics[name]}/readyz`).catch(() => undefined))?.status === 200,
    /** Whether the app's process is the one started (never exited). */
    alive: (name: 'identity' | 'notifier') => processes.get(name)!.child.exitCode === null,
    /** SIGKILL and start again. */
    kill: async (name: 'identity' | 'notifier') => {
      await processes.get(name)!.stop('SIGKILL');
      await launch(name);
    },
    stop: async () => {
      identity.close();
      await Promise.all([...processes.values()].map((p) => p.stop('SIGTERM', 10_000)));
      await closeMongo(db);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
type Mesh = Awaited<ReturnType<typeof startMesh>>;

interface Outcome {
  registered: Map<string, string>; // username -> user id
  sessions: string[];
  errors: Map<string, number>;
}

/** N registrations, each followed by its sign-in, CONCURRENCY at a time; `during` runs alongside. */
async function load(mesh: Mesh, during: (done: () => number) => Promise<void>): Promise<Outcome> {
  const outcome: Outcome = { registered: new Map(), sessions: [], errors: new Map() };
  const count = (error: unknown) => {
    const reason = (error as { reason?: string }).reason ?? (error as Error).message.slice(0, 40);
    outcome.errors.set(reason, (outcome.errors.get(reason) ?? 0) + 1);
  };
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const username = `chaos_${i}_${randomBytes(3).toString('hex')}`;
      const password = `Chaos passphrase ${randomBytes(8).toString('hex')}`;
      const client = { ip: `198.51.100.${i % 250}`, userAgent: 'chaos' };
      // A client retries what it was told to retry (UNAVAILABLE), as a real one would.
      const retrying = async <T>(call: () => Promise<T>): Promise<T> => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await call();
          } catch (error) {
            const kind = (error as { kind?: string }).kind;
            if (kind !== 'unavailable' || attempt >= 20) throw error;
            count(error);
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
      };
      try {
        const { user } = await retrying(() =>
          mesh.identity.register({
            username,
            email: `${username}@example.com`,
            password,
            fullName: `Chaos ${i}`,
            locale: 'en',
            client,
          }),
        );
        outcome.registered.set(username, user!.id);
        const { tokens } = await retrying(() =>
          mesh.identity.login({ identifier: username, password, client }),
        );
        outcome.sessions.push(tokens!.sessionId);
      } catch (error) {
        // A registration retried after a kill may find its own first try done: USERNAME_TAKEN is
        // then the truth, not a failure; anything else is.
        if ((error as { reason?: string }).reason !== 'USERNAME_TAKEN') count(error);
      }
      finished++;
    }
  };
  await Promise.all([...Array.from({ length: CONCURRENCY }, worker), during(() => finished)]);
  return outcome;
}

const until = async (what: () => Promise<boolean>, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await what()) return true;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return false;
};

/** The checks both scenarios share: e-mails exactly once, nothing pending, sessions stored. */
async function settleAndCheck(mesh: Mesh, outcome: Outcome, row: Row, welcomeFor: string[]) {
  const notifications = mesh.notifierDb.collection('notifications');
  const ids = [...outcome.registered.values()];
  await until(
    async () =>
      (await notifications.countDocuments({ template: 'welcome', userId: { $in: ids } })) >=
        welcomeFor.length &&
      (await notifications.countDocuments({ template: 'login_succeeded', userId: { $in: ids } })) >=
        outcome.sessions.length,
    240_000,
  );
  const perUser = async (template: string) => {
    const rows = await notifications
      .aggregate<{ _id: string; n: number }>([
        { $match: { template, userId: { $in: ids } } },
        { $group: { _id: '$userId', n: { $sum: 1 } } },
      ])
      .toArray();
    return new Map(rows.map((r) => [r._id, r.n]));
  };
  const welcome = await perUser('welcome');
  const missing = welcomeFor.filter((id) => !welcome.has(id)).length;
  const doubled = [...welcome.values()].filter((n) => n > 1).length;
  row.invariants.push(`welcome e-mail exactly once for ${welcomeFor.length} accounts`);
  if (missing || doubled) row.failures.push(`welcome: ${missing} missing, ${doubled} doubled`);

  const signIns = await perUser('login_succeeded');
  const sentSignIns = [...signIns.values()].reduce((a, b) => a + b, 0);
  row.invariants.push(`sign-in e-mail exactly once for ${outcome.sessions.length} sign-ins`);
  if (sentSignIns !== outcome.sessions.length || [...signIns.values()].some((n) => n > 1))
    row.failures.push(`sign-in e-mails: ${sentSignIns} for ${outcome.sessions.length} sign-ins`);

  const sessions = await mesh.identityDb
    .collection('sessions')
    .countDocuments({ _id: { $in: outcome.sessions as never[] } });
  row.invariants.push('every session a client got exists in identity');
  if (sessions !== outcome.sessions.length)
    row.failures.push(`sessions: ${sessions} of ${outcome.sessions.length}`);

  const drained = await until(async () => {
    let pending = 0;
    for (const name of ['users', 'sessions', 'auth_attempts'])
      pending += await mesh.identityDb
        .collection(name)
        .countDocuments({ 'pendingEvents.0': { $exists: true } });
    return pending === 0;
  }, 60_000);
  row.invariants.push('no event left pending on a document');
  if (!drained) row.failures.push('events still pending on documents');
}

/** A scenario on its own NATS, MongoDB-wire server and apps: `body` loads, faults and checks. */
async function scenario(
  name: string,
  fault: string,
  body: (ctx: { mesh: Mesh; nats: RestartableServer; mongo: RestartableServer; row: Row }) => Promise<void>,
): Promise<Row> {
  const started = Date.now();
  const row: Row = {
    scenario: name,
    load: `${N} registrations + ${N} sign-ins, ${CONCURRENCY} at a time`,
    fault,
    invariants: [],
    failures: [],
    seconds: 0,
  };
  const nats = await startNats();
  const mongo = await startMongo();
  const mesh = await startMesh(nats, mongo);
  try {
    await body({ mesh, nats, mongo, row });
  } finally {
    await mesh.stop();
    await nats.stop();
    await mongo.stop();
  }
  row.seconds = Math.round((Date.now() - started) / 1000);
  return row;
}

const natsOutage = () =>
  scenario(
    'nats-outage',
    `NATS stopped for ${OUTAGE_MS / 1000} s at 30% of the load`,
    async ({ mesh, nats, row }) => {
      const outcome = await load(mesh, async (done) => {
        await until(async () => done() >= N * 0.3, 600_000);
        await nats.pause();
        await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
        await nats.start();
      });
      row.invariants.push('no client call failed');
      if (outcome.errors.size)
        row.failures.push(`client errors: ${JSON.stringify(Object.fromEntries(outcome.errors))}`);
      await settleAndCheck(mesh, outcome, row, [...outcome.registered.values()]);
    },
  );

const KILLS = 4;
const sigkill = () =>
  scenario(
    'sigkill',
    `SIGKILL of identity and notifier, ${KILLS} times at random moments, each restarted`,
    async ({ mesh, row }) => {
      const outcome = await load(mesh, async (done) => {
        for (let k = 0; k < KILLS; k++) {
          const at = N * ((k + 1) / (KILLS + 1)) * (0.8 + Math.random() * 0.4);
          await until(async () => done() >= at, 600_000);
          await mesh.kill(k % 2 === 0 ? 'identity' : 'notifier');
        }
      });
      const wrong = [...outcome.errors.keys()].filter(
        (reason) => !/UNAVAILABLE|CANCELLED|DEADLINE|unavailable/i.test(reason),
      );
      const retried = [...outcome.errors.values()].reduce((a, b) => a + b, 0);
      row.invariants.push(`clients saw only retryable errors (${retried} UNAVAILABLE, retried)`);
      if (wrong.length)
        row.failures.push(`non-retryable errors: ${JSON.stringify(Object.fromEntries(outcome.errors))}`);
      await settleAndCheck(mesh, outcome, row, [...outcome.registered.values()]);
    },
  );

const MONGO_OUTAGE_MS = Math.round(OUTAGE_MS / 2);
const mongoRestart = () =>
  scenario(
    'mongo-restart',
    `MongoDB-wire server stopped for ${MONGO_OUTAGE_MS / 1000} s at 30% of the load, then started`,
    async ({ mesh, mongo, row }) => {
      let notReady = false;
      let readyAgain = false;
      const outcome = await load(mesh, async (done) => {
        await until(async () => done() >= N * 0.3, 600_000);
        await mongo.pause();
        notReady = await until(async () => !(await mesh.ready('identity')), MONGO_OUTAGE_MS);
        await new Promise((resolve) => setTimeout(resolve, MONGO_OUTAGE_MS));
        await mongo.start();
        readyAgain = await until(() => mesh.ready('identity'), 120_000);
      });
      row.invariants.push('identity reported not-ready while the database was away, and ready again after');
      if (!notReady || !readyAgain)
        row.failures.push(`readiness: not-ready seen ${notReady}, ready again ${readyAgain}`);
      row.invariants.push('recovered without a restart');
      if (!mesh.alive('identity') || !mesh.alive('notifier')) row.failures.push('an app process exited');
      const wrong = [...outcome.errors.keys()].filter(
        (reason) => !/UNAVAILABLE|CANCELLED|DEADLINE|unavailable/i.test(reason),
      );
      const retried = [...outcome.errors.values()].reduce((a, b) => a + b, 0);
      row.invariants.push(`clients saw only retryable errors (${retried}, retried)`);
      if (wrong.length)
        row.failures.push(`non-retryable errors: ${JSON.stringify(Object.fromEntries(outcome.errors))}`);
      await settleAndCheck(mesh, outcome, row, [...outcome.registered.values()]);
    },
  );

const SCENARIOS: Record<string, () => Promise<Row>> = {
  'nats-outage': natsOutage,
  sigkill,
  'mongo-restart': mongoRestart,
};
const names = chosen.length ? chosen : Object.keys(SCENARIOS);
const rows: Row[] = [];
for (const name of names) {
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`no scenario "${name}" (${Object.keys(SCENARIOS).join(', ')})`);
  console.log(`running ${name} ...`);
  rows.push(await scenario());
}
console.log('\n| scenario | load | fault | invariants checked | result | s |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| ${r.scenario} | ${r.load} | ${r.fault} | ${r.invariants.join('; ')} | ${r.failures.length ? `FAILED: ${r.failures.join('; ')}` : 'passed'} | ${r.seconds} |`,
  );
process.exit(rows.some((r) => r.failures.length) ? 1 : 0);
