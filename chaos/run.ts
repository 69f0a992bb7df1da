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
 *  - sigkill-web-biometrics: the whole mesh with web; N/4 users through web's REST API register, sign
 *    in, enroll a face from a photo and sign in with it, while web and biometrics are SIGKILLed
 *    alternately and restarted. Clients retry only connection failures, 502-504 and 429; every other
 *    answer must be the right one (a face sign-in signs in its own user). Afterwards the shared
 *    checks, one whole template per acknowledged enrollment, and identity knowing each of them.
 *  - inference-saturation: 48 clients call biometrics' Detect for 60 s (2 workers, queue 8), every
 *    4th giving up after 1 s: refusals are all INFERENCE_QUEUE_FULL with retry advice, resident
 *    memory stays flat, the queued requests of callers that left never run, biometrics stays up.
 *  - notifier-paused: the notifier frozen (SIGSTOP) for 5 minutes under the load (with wrong
 *    passwords for every 4th user), then resumed: the stream holds what it did not take and drains
 *    to zero; e-mails exactly once; each failed-login digest has one alert and the rest pending.
 * `--scale` shortens the load and the faults together (the outage, the saturation and the pause).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@guardian/grpc-kit';
import { FaceServiceClient, FaceServiceService } from '@guardian/proto/gen/guardian/biometrics/v1/face';
import { facePhoto } from '../apps/web/test/faces.js';
import { AuthServiceClient, AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';
import {
  freePort,
  meshPorts,
  webEnv,
  startApp,
  testLogger,
  startMongo,
  startNats,
  uniqueId,
  type AppProcess,
  type RestartableServer,
} from '@guardian/testkit';
import { closeMongo, connectMongo } from '@guardian/mongo';
import { connect } from 'nats';

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
async function startMesh(
  nats: RestartableServer,
  mongo: RestartableServer,
  options: { biometrics?: boolean; web?: boolean } = {},
) {
  const dir = await mkdtemp(join(tmpdir(), 'guardian-chaos-'));
  const ports = await meshPorts();
  // identity's credential toward biometrics for face sign-in, as a deployment configures it.
  const serviceToken = randomBytes(32).toString('hex');
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
      IDENTITY_BIOMETRICS_ADDRESS: `127.0.0.1:${ports.biometrics}`,
      IDENTITY_IP_DELAY_BASE_MS: '0',
      IDENTITY_IP_DELAY_AFTER: '1000000',
      IDENTITY_IP_LOCK_AFTER: '1000000',
      IDENTITY_BIOMETRICS_SERVICE_TOKEN: serviceToken,
      // Photos sign in (the load is about faults, not liveness).
      IDENTITY_LIVENESS_SIGN_IN: 'optional',
      IDENTITY_ACCOUNT_DELAY_BASE_MS: '0',
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
    biometrics: {
      ...common,
      MONGO_DB: uniqueId('chaos_biometrics_'),
      GRPC_PORT: String(ports.biometrics),
      METRICS_PORT: String(await freePort()),
      BIOMETRICS_IDENTITY_ADDRESS: `127.0.0.1:${ports.identity}`,
      BIOMETRICS_INFERENCE_BACKEND: 'wasm',
      BIOMETRICS_INFERENCE_WORKERS: '2',
      BIOMETRICS_DEV_KEY_FILE: join(dir, 'biometrics-keys.json'),
      BIOMETRICS_DEV_TEMPLATE_KEY_FILE: join(dir, 'biometrics-template.key'),
      BIOMETRICS_SIGN_IN_CALLERS: `identity=${serviceToken}`,
      BIOMETRICS_LIVENESS_ENROLL: 'optional',
      BIOMETRICS_FACE_USER_DELAY_BASE_MS: '0',
      BIOMETRICS_FACE_IP_DELAY_BASE_MS: '0',
    },
    web: { ...common, ...(await webEnv(ports)) },
  };
  type App = 'identity' | 'notifier' | 'biometrics' | 'web';
  const metrics = {
    identity: env.identity.METRICS_PORT,
    notifier: env.notifier.METRICS_PORT,
    biometrics: env.biometrics.METRICS_PORT,
    web: env.web.METRICS_PORT,
  };
  const processes = new Map<App, AppProcess>();
  const launch = async (name: App) => {
    const p = startApp(name, env[name]);
    processes.set(name, p);
    await p.waitForLog(new RegExp(`"msg":"${name} ready"`), 120_000);
  };
  await launch('identity');
  await launch('notifier');
  if (options.biometrics || options.web) await launch('biometrics');
  if (options.web) await launch('web');
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
    biometricsDb: db.useDb(env.biometrics.MONGO_DB),
    /** http://127.0.0.1:<port> of web, when it runs. */
    webUrl: `http://127.0.0.1:${ports.web}`,
    /** The app's readiness probe: true when /readyz answers 200. */
    biometricsAddress: `127.0.0.1:${ports.biometrics}`,
    /** The notifier's durable consumer: messages not yet delivered plus delivered and not acked. */
    streamInfo: async () => {
      const nc = await connect({ servers: nats.url });
      try {
        const info = await (await nc.jetstreamManager()).consumers.info(common.EVENTS_STREAM, 'notifier');
        return { consumer: info.name, pending: info.num_pending + info.num_ack_pending };
      } finally {
        await nc.close();
      }
    },
    /** The app's Prometheus text. */
    metrics: async (name: App) => (await fetch(`http://127.0.0.1:${metrics[name]}/metrics`)).text(),
    /** Resident memory of the app's process, MiB (from /proc). */
    rssMiB: (name: App) => {
      const pid = processes.get(name)!.child.pid;
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      return kb / 1024;
    },
    /** SIGSTOP / SIGCONT: the process stays, does nothing (a consumer that stalls). */
    freeze: (name: App, frozen: boolean) => processes.get(name)!.child.kill(frozen ? 'SIGSTOP' : 'SIGCONT'),
    ready: async (name: App) =>
      (await fetch(`http://127.0.0.1:${metrics[name]}/readyz`).catch(() => undefined))?.status === 200,
    /** What the app's process wrote (its JSON log lines). */
    output: (name: App) => processes.get(name)!.output(),
    /** Whether the app's process is the one started (never exited). */
    alive: (name: App) => processes.get(name)!.child.exitCode === null,
    /** SIGKILL and start again. */
    kill: async (name: App) => {
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
  /** The users `perUser` ran for. */
  extra: string[];
}

/** N registrations, each followed by its sign-in, CONCURRENCY at a time; `during` runs alongside. */
async function load(
  mesh: Mesh,
  during: (done: () => number) => Promise<void>,
  /** More calls for every 4th user after its sign-in. */
  perUser?: (username: string, client: { ip: string; userAgent: string }) => Promise<void>,
): Promise<Outcome> {
  const outcome: Outcome = { registered: new Map(), sessions: [], errors: new Map(), extra: [] };
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
        if (perUser && i % 4 === 0) {
          await perUser(username, client);
          outcome.extra.push(user!.id);
        }
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
      (await notifications.countDocuments({ template: 'welcome', status: 'sent', userId: { $in: ids } })) >=
        welcomeFor.length &&
      (await notifications.countDocuments({
        template: 'login_succeeded',
        status: 'sent',
        userId: { $in: ids },
      })) >= outcome.sessions.length,
    240_000,
  );
  const perUser = async (template: string) => {
    const rows = await notifications
      .aggregate<{ _id: string; n: number }>([
        // Sent, not merely recorded: a suppressed record is an e-mail nobody got.
        { $match: { template, status: 'sent', userId: { $in: ids } } },
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

  // A sign-in whose answer was lost to a kill still made its session: identity's sessions are the
  // truth for the e-mails, and every session a client got must be among them.
  const signIns = await perUser('login_succeeded');
  const sentSignIns = [...signIns.values()].reduce((a, b) => a + b, 0);
  const made = new Map(
    (
      await mesh.identityDb
        .collection('sessions')
        .aggregate<{ _id: string; n: number }>([
          { $match: { userId: { $in: ids } } },
          { $group: { _id: '$userId', n: { $sum: 1 } } },
        ])
        .toArray()
    ).map((r) => [r._id, r.n]),
  );
  const madeTotal = [...made.values()].reduce((a, b) => a + b, 0);
  const mismatched = [...new Set([...made.keys(), ...signIns.keys()])].filter(
    (id) => (made.get(id) ?? 0) !== (signIns.get(id) ?? 0),
  ).length;
  row.invariants.push(
    `sign-in e-mail exactly once per session identity made (${madeTotal} for ${outcome.sessions.length} sign-ins answered)`,
  );
  if (mismatched)
    row.failures.push(
      `sign-in e-mails: ${sentSignIns} for ${madeTotal} sessions (${mismatched} users differ)`,
    );

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
  options: { biometrics?: boolean; web?: boolean; load?: string } = {},
): Promise<Row> {
  const started = Date.now();
  const row: Row = {
    scenario: name,
    load: options.load ?? `${N} registrations + ${N} sign-ins, ${CONCURRENCY} at a time`,
    fault,
    invariants: [],
    failures: [],
    seconds: 0,
  };
  const nats = await startNats();
  const mongo = await startMongo();
  const mesh = await startMesh(nats, mongo, options);
  try {
    await body({ mesh, nats, mongo, row });
    if (row.failures.length) {
      // What the apps logged as errors, to tell what a failure was.
      const file = join(tmpdir(), `chaos-${name}-${Date.now()}-errors.log`);
      const apps = ['identity', 'notifier', 'biometrics', 'web'] as const;
      await writeFile(
        file,
        apps
          .flatMap((app) => {
            try {
              return mesh
                .output(app)
                .split('\n')
                .filter((line) => /"level":"(error|fatal)"/.test(line));
            } catch {
              return []; // not started in this scenario
            }
          })
          .join('\n'),
      );
      console.log(`${name}: the apps' error log lines are in ${file}`);
    }
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

/** Users driven through web by sigkill-web-biometrics (each makes four calls, two with inference). */
const WEB_USERS = Math.max(10, Math.round(N / 4));

/** An answer from web, or the connection failing (web away). */
interface Answer {
  status: number;
  reason: string;
  body: Record<string, unknown>;
}

/**
 * N/4 users through web's REST API, CONCURRENCY at a time: register, password sign-in, face
 * enrollment from a photo, face sign-in. A client retries what it is told to retry (the connection
 * refused or cut, 502/503/504, 429 with Retry-After), as a real one does; anything else it counts.
 */
async function loadThroughWeb(mesh: Mesh, during: (done: () => number) => Promise<void>) {
  const users = WEB_USERS;
  const photo = (await readFile((await facePhoto('alice')).file)).toString('base64');
  const outcome: Outcome & { enrolled: string[]; faceSignIns: number; retried: Map<string, number> } = {
    registered: new Map(),
    sessions: [],
    errors: new Map(),
    extra: [],
    enrolled: [],
    faceSignIns: 0,
    retried: new Map(),
  };
  const tally = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const post = async (path: string, body: unknown, token?: string): Promise<Answer> => {
    for (let attempt = 0; ; attempt++) {
      let answer: Answer;
      try {
        const response = await fetch(`${mesh.webUrl}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(60_000),
        });
        const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
        const error = json.error as { reason?: string } | undefined;
        answer = { status: response.status, reason: error?.reason ?? '', body: json };
      } catch (error) {
        answer = { status: 0, reason: `connection: ${(error as Error).name}`, body: {} };
      }
      const retryable = answer.status === 0 || answer.status === 429 || answer.status >= 502;
      if (!retryable || attempt >= 40) return answer;
      tally(outcome.retried, `${answer.status} ${answer.reason}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  let next = 0;
  let finished = 0;
  const wrong = (step: string, answer: Answer) =>
    tally(
      outcome.errors,
      `${step}: ${answer.status} ${answer.reason || JSON.stringify(answer.body).slice(0, 80)}`,
    );
  const one = async (i: number) => {
    const username = `chaos_${i}_${randomBytes(3).toString('hex')}`;
    const password = `Chaos passphrase ${randomBytes(8).toString('hex')}`;
    const registered = await post('/api/auth/register', {
      username,
      email: `${username}@example.com`,
      password,
      fullName: `Chaos ${i}`,
    });
    // A registration retried after a kill may find its first try done: the truth, if our
    // password then signs in.
    if (registered.status !== 201 && registered.reason !== 'USERNAME_TAKEN')
      return wrong('register', registered);
    const login = await post('/api/auth/login', { identifier: username, password });
    if (login.status !== 200) return wrong('login', login);
    const user = login.body.user as { id: string };
    outcome.registered.set(username, user.id);
    outcome.sessions.push(String(login.body.sessionId));
    const enrolled = await post(
      '/api/user/face/register',
      { images: [photo] },
      String(login.body.accessToken),
    );
    if (enrolled.status !== 201 && enrolled.status !== 200) return wrong('enroll', enrolled);
    outcome.enrolled.push(user.id);
    const face = await post('/api/auth/face-login', { username, image: photo });
    if (face.status !== 200 || (face.body.user as { id?: string })?.id !== user.id)
      return wrong('face sign-in', face);
    outcome.sessions.push(String(face.body.sessionId));
    outcome.faceSignIns++;
  };
  const worker = async () => {
    while (next < users) {
      await one(next++);
      finished++;
    }
  };
  await Promise.all([...Array.from({ length: CONCURRENCY }, worker), during(() => finished)]);
  return { ...outcome, users };
}

const edgeKill = () =>
  scenario(
    'sigkill-web-biometrics',
    `SIGKILL of web and biometrics, ${KILLS} times at random moments, each restarted`,
    async ({ mesh, row }) => {
      let kills = 0;
      const outcome = await loadThroughWeb(mesh, async (done) => {
        const users = WEB_USERS;
        for (let k = 0; k < KILLS; k++) {
          const at = users * ((k + 1) / (KILLS + 1)) * (0.8 + Math.random() * 0.4);
          await until(async () => done() >= at, 600_000);
          await mesh.kill(k % 2 === 0 ? 'biometrics' : 'web');
          kills++;
        }
      });
      const retried = [...outcome.retried.values()].reduce((a, b) => a + b, 0);
      row.load = `${outcome.users} users through web: register, sign in, enroll a face, face sign-in (${outcome.faceSignIns} face sign-ins), ${CONCURRENCY} at a time`;
      row.fault = `SIGKILL of web and biometrics alternately, ${kills} times at random moments, each restarted`;
      row.invariants.push(
        `clients saw only retryable answers (${retried} retried: ${JSON.stringify(Object.fromEntries(outcome.retried))}), never a wrong one`,
      );
      if (outcome.errors.size)
        row.failures.push(`wrong answers: ${JSON.stringify(Object.fromEntries(outcome.errors))}`);
      row.invariants.push('every user finished all four steps');
      if (outcome.faceSignIns !== outcome.users)
        row.failures.push(`${outcome.faceSignIns} of ${outcome.users} users finished`);
      await settleAndCheck(mesh, outcome, row, [...outcome.registered.values()]);
      // Templates: whole (sealed template and key id), one per enrolled user, and identity agrees.
      const templates = await mesh.biometricsDb
        .collection('face_templates')
        .find({ _id: { $in: outcome.enrolled as never[] } })
        .toArray();
      const whole = templates.filter(
        (t) => t.template && t.keyId && !t.removedAt && t.sampleCount === 1 && !t.pendingEvents?.length,
      ).length;
      row.invariants.push(
        `every acknowledged enrollment has one whole template, its event sent (${whole} of ${outcome.enrolled.length})`,
      );
      if (whole !== outcome.enrolled.length)
        row.failures.push(`templates: ${whole} whole of ${outcome.enrolled.length} enrolled`);
      const agreed = await until(
        async () =>
          (await mesh.identityDb.collection('users').countDocuments({
            _id: { $in: outcome.enrolled as never[] },
            'biometric.enrolled': true,
          })) === outcome.enrolled.length,
        60_000,
      );
      row.invariants.push('identity knows every enrolled face (no template in one place and not the other)');
      if (!agreed) row.failures.push('identity does not know every enrollment');
    },
    { web: true, load: 'web' },
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

/** A signed-in user's access token (registered and signed in through identity). */
async function signedIn(mesh: Mesh): Promise<string> {
  const username = `chaos_${randomBytes(4).toString('hex')}`;
  const password = `Chaos passphrase ${randomBytes(8).toString('hex')}`;
  const client = { ip: '198.51.100.1', userAgent: 'chaos' };
  await mesh.identity.register({
    username,
    email: `${username}@example.com`,
    password,
    fullName: 'Chaos',
    locale: 'en',
    client,
  });
  const { tokens } = await mesh.identity.login({ identifier: username, password, client });
  return tokens!.accessToken;
}

const metric = (text: string, name: string) =>
  Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

const SATURATION_MS = Math.max(10_000, Math.round(60_000 * Math.min(1, SCALE * 4)));
const SATURATION_CLIENTS = 48;
/** Long enough to get a place in the queue, shorter than the wait there. */
const IMPATIENT_MS = 1_000;
const saturation = () =>
  scenario(
    'inference-saturation',
    `inference queue saturated for ${SATURATION_MS / 1000} s (2 workers, queue 8); every 4th caller gives up after ${IMPATIENT_MS} ms`,
    async ({ mesh, row }) => {
      const token = await signedIn(mesh);
      const faces = createClient(FaceServiceClient, FaceServiceService, mesh.biometricsAddress, {
        deadlineMs: 30_000,
      });
      const photo = await readFile((await facePhoto('alice')).file);
      const image = { source: { $case: 'data' as const, value: photo } };
      const tally = { ok: 0, advised: 0, unadvised: 0, gaveUp: 0, other: new Map<string, number>() };
      const rss: number[] = [];
      const sampler = setInterval(() => rss.push(mesh.rssMiB('biometrics')), 1_000);
      const end = Date.now() + SATURATION_MS;
      const client = async (c: number) => {
        for (let i = 0; Date.now() < end; i++) {
          const impatient = (c + i) % 4 === 0;
          try {
            await faces.detect(
              { image, withAgeGender: false },
              { accessToken: token, ...(impatient ? { deadlineMs: IMPATIENT_MS } : {}) },
            );
            tally.ok++;
          } catch (error) {
            const { reason = '', retryAfterMs = 0 } = error as { reason?: string; retryAfterMs?: number };
            if (reason === 'INFERENCE_QUEUE_FULL') {
              if (retryAfterMs > 0) tally.advised++;
              else tally.unadvised++;
            } else if (impatient && /DEADLINE|CANCELLED/.test(reason)) tally.gaveUp++;
            else tally.other.set(reason, (tally.other.get(reason) ?? 0) + 1);
          }
        }
      };
      const before = await mesh.metrics('biometrics');
      await Promise.all(Array.from({ length: SATURATION_CLIENTS }, (_, c) => client(c)));
      clearInterval(sampler);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const after = await mesh.metrics('biometrics');
      faces.close();
      const delta = (name: string) => metric(after, name) - metric(before, name);
      row.load = `${SATURATION_CLIENTS} clients calling Detect for ${SATURATION_MS / 1000} s: ${tally.ok} answered, ${tally.advised} refused with retry advice, ${tally.gaveUp} callers gave up`;
      row.invariants.push(
        'every refusal is RESOURCE_EXHAUSTED INFERENCE_QUEUE_FULL with retry advice; no other error',
      );
      if (tally.unadvised || tally.other.size || tally.advised === 0)
        row.failures.push(
          `refusals: ${tally.advised} advised, ${tally.unadvised} without advice, other ${JSON.stringify(Object.fromEntries(tally.other))}`,
        );
      const third = Math.max(1, Math.floor(rss.length / 3));
      const early = Math.max(...rss.slice(0, third));
      const late = Math.max(...rss.slice(-third));
      row.invariants.push(
        `resident memory flat: max of the last third ${late.toFixed(0)} MiB vs first third ${early.toFixed(0)} MiB (within 10%)`,
      );
      if (late > early * 1.1)
        row.failures.push(`RSS grew from ${early.toFixed(0)} to ${late.toFixed(0)} MiB`);
      const dropped = delta('biometrics_inference_dropped_total');
      const dispatched = delta('biometrics_inference_dispatched_total');
      row.invariants.push(
        `queued work of callers that left is dropped (${dropped} never ran; ${dispatched} ran for ${tally.ok} answers)`,
      );
      if (!(dropped > 0)) row.failures.push('no queued request of a departed caller was dropped');
      row.invariants.push('biometrics stayed up');
      if (!mesh.alive('biometrics')) row.failures.push('biometrics exited');
    },
    { biometrics: true, load: 'Detect calls' },
  );

const PAUSE_MS = Math.max(10_000, Math.round(300_000 * Math.min(1, SCALE)));
const FAILURES_PER_USER = 3;
const notifierPaused = () =>
  scenario(
    'notifier-paused',
    `notifier frozen (SIGSTOP) for ${PAUSE_MS / 1000} s under load, then resumed`,
    async ({ mesh, row }) => {
      const stream = (await mesh.streamInfo()).consumer;
      let pendingWhilePaused = 0;
      let failedLogins = 0;
      const outcome = await load(
        mesh,
        async (done) => {
          await until(async () => done() >= N * 0.1, 600_000);
          mesh.freeze('notifier', true);
          await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
          pendingWhilePaused = (await mesh.streamInfo()).pending;
          mesh.freeze('notifier', false);
        },
        async (username, client) => {
          // Some wrong passwords too: the failed-login digest must come out right after the stall.
          for (let f = 0; f < FAILURES_PER_USER; f++) {
            await mesh.identity
              .login({ identifier: username, password: 'not the password at all', client })
              .catch(() => failedLogins++);
          }
        },
      );
      row.invariants.push(
        `the stream held what the frozen notifier did not take (${pendingWhilePaused} pending at the end of the pause, consumer ${stream})`,
      );
      if (!(pendingWhilePaused > 0)) row.failures.push('nothing was pending while the notifier was frozen');
      const drained = await until(async () => (await mesh.streamInfo()).pending === 0, 600_000);
      row.invariants.push('then drained to zero');
      if (!drained) row.failures.push(`still pending: ${(await mesh.streamInfo()).pending}`);
      await settleAndCheck(mesh, outcome, row, [...outcome.registered.values()]);
      const withFailures = outcome.extra;
      const alerts = await mesh.notifierDb
        .collection('notifications')
        .aggregate<{ _id: string; n: number }>([
          // The failures folded into a digest are kept as `suppressed` records.
          {
            $match: {
              template: 'login_failed',
              status: { $ne: 'suppressed' },
              userId: { $in: withFailures },
            },
          },
          { $group: { _id: '$userId', n: { $sum: 1 } } },
        ])
        .toArray();
      const digests = await mesh.notifierDb
        .collection('login_digests')
        .find({ _id: { $in: withFailures as never[] } })
        .toArray();
      row.invariants.push(
        `failed-login digest: one alert per user with ${FAILURES_PER_USER} failures in its window, the other ${FAILURES_PER_USER - 1} pending (${withFailures.length} users)`,
      );
      const wrongAlerts = withFailures.length - alerts.filter((a) => a.n === 1).length;
      const wrongPending =
        withFailures.length - digests.filter((d) => d.pending === FAILURES_PER_USER - 1).length;
      const histogram = (values: number[]) =>
        JSON.stringify(values.reduce<Record<number, number>>((h, v) => ({ ...h, [v]: (h[v] ?? 0) + 1 }), {}));
      if (wrongAlerts || wrongPending)
        console.log(
          `digest details: alerts per user ${histogram(alerts.map((a) => a.n))} (users without any: ${withFailures.length - alerts.length}); pending per user ${histogram(digests.map((d) => Number(d.pending)))}; failure records per user ${histogram(
            (
              await mesh.notifierDb
                .collection('notifications')
                .aggregate<{ n: number }>([
                  { $match: { template: 'login_failed', userId: { $in: withFailures } } },
                  { $group: { _id: '$userId', n: { $sum: 1 } } },
                ])
                .toArray()
            ).map((r) => r.n),
          )}`,
        );
      if (wrongAlerts || wrongPending) {
        // The story of a few users whose digest is wrong: their records, contact and the log lines.
        const wrongUsers = withFailures
          .filter((id) => !alerts.some((a) => a._id === id && a.n === 1))
          .slice(0, 5);
        const story = [];
        for (const id of wrongUsers)
          story.push({
            id,
            records: await mesh.notifierDb
              .collection('notifications')
              .find({ userId: id })
              .project({ template: 1, status: 1, reason: 1, eventId: 1, createdAt: 1, updatedAt: 1 })
              .toArray(),
            contact: await mesh.notifierDb.collection('contacts').findOne({ _id: id as never }),
            digest: await mesh.notifierDb.collection('login_digests').findOne({ _id: id as never }),
          });
        const file = join(tmpdir(), `chaos-notifier-paused-${Date.now()}.log`);
        await writeFile(
          file,
          `${JSON.stringify(story, null, 1)}\n\n${mesh
            .output('notifier')
            .split('\n')
            .filter((line) => wrongUsers.some((id) => line.includes(id)) || /warn|error|retried/i.test(line))
            .join('\n')}`,
        );
        console.log(`digest story of ${wrongUsers.length} users and the notifier's log lines: ${file}`);
      }
      if (wrongAlerts || wrongPending)
        row.failures.push(
          `digests: ${wrongAlerts} users with a wrong alert count, ${wrongPending} with a wrong pending count`,
        );
      row.invariants.push(`${failedLogins} wrong passwords refused`);
    },
  );

const SCENARIOS: Record<string, () => Promise<Row>> = {
  'inference-saturation': saturation,
  'notifier-paused': notifierPaused,
  'nats-outage': natsOutage,
  sigkill,
  'sigkill-web-biometrics': edgeKill,
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
