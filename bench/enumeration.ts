/**
 * Enumeration benchmark (not a test): `npx tsx bench/enumeration.ts [--rounds 1000] [--face-rounds 100]`
 *
 * Can a caller tell who exists from the answers or their timing? Starts nats-server and
 * FerretDB/mongod (libs/testkit), identity, biometrics and web as processes (the throttles with
 * waits of zero: this measures the paths, not the locks), then alternates, through web's REST API:
 *   password  an unknown username vs a real account with a wrong password (`--rounds` each);
 *   face      an unknown username vs an account without a face vs an enrolled account shown
 *             another person's face (`--face-rounds` each), with a face photo and with a photo
 *             without a face.
 * One unknown name is used throughout, tried as often as each real one (each name's throttle window
 * then holds the same history). Prints per kind the median and p90 time, the difference of medians
 * against the real account, and whether every answer (status and body without the request id) was
 * the same.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { facePhoto, photoWithoutFace } from '../apps/web/test/faces.js';
import { startApp } from '../libs/testkit/src/processes.js';
import { freePort, meshPorts, startMongo, startNats, webEnv } from '../libs/testkit/src/servers.js';
import { numberArg } from './lib/args.js';

const ROUNDS = numberArg('rounds', 1000);
const FACE_ROUNDS = numberArg('face-rounds', 100);
/**
 * The throttles with their production thresholds and window sizes, but waits of zero: every attempt
 * is checked against a real window and goes ahead. (Lifting the thresholds instead would make the
 * windows, which keep lockAfter + 32 entries, grow with every attempt: medians then climb through
 * the run, measuring the benchmark's own history rather than the paths.)
 */
const noWait = (...prefixes: string[]) =>
  Object.fromEntries(
    prefixes.flatMap((p) => ['DELAY_BASE_MS', 'LOCK_BASE_MS'].map((k) => [`${p}_${k}`, '0'])),
  );
const PROGRESS_EVERY = 50;

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

async function main() {
  const [nats, mongo] = await Promise.all([startNats(), startMongo()]);
  const dir = mkdtempSync(join(tmpdir(), 'enumeration-bench-'));
  const ports = await meshPorts();
  const token = randomBytes(32).toString('hex');
  const common = { LOG_LEVEL: 'info', MONGO_URL: mongo.url, NATS_URL: nats.url, GRPC_HOST: '127.0.0.1' };
  const identity = startApp('identity', {
    ...common,
    GRPC_PORT: String(ports.identity),
    METRICS_PORT: String(await freePort()),
    IDENTITY_DEV_KEY_FILE: join(dir, 'identity-keys.json'),
    IDENTITY_BIOMETRICS_ADDRESS: `127.0.0.1:${ports.biometrics}`,
    IDENTITY_BIOMETRICS_SERVICE_TOKEN: token,
    // Photo sign-in: the channel's own timing (a liveness capture adds the same work either way).
    IDENTITY_LIVENESS_SIGN_IN: 'optional',
    IDENTITY_BOOTSTRAP_MASTER_USERNAME: 'bench-master',
    IDENTITY_BOOTSTRAP_MASTER_EMAIL: 'bench-master@example.com',
    IDENTITY_BOOTSTRAP_MASTER_PASSWORD: 'Bench master passphrase 1',
    ...noWait('IDENTITY_ACCOUNT', 'IDENTITY_IP'),
  });
  const biometrics = startApp('biometrics', {
    ...common,
    GRPC_PORT: String(ports.biometrics),
    METRICS_PORT: String(await freePort()),
    BIOMETRICS_DEV_KEY_FILE: join(dir, 'biometrics-keys.json'),
    BIOMETRICS_DEV_TEMPLATE_KEY_FILE: join(dir, 'template.key'),
    BIOMETRICS_IDENTITY_ADDRESS: `127.0.0.1:${ports.identity}`,
    BIOMETRICS_SIGN_IN_CALLERS: `identity=${token}`,
    BIOMETRICS_LIVENESS_ENROLL: 'optional',
    ...noWait('BIOMETRICS_FACE_USER', 'BIOMETRICS_FACE_IP'),
  });
  const web = startApp('web', { ...common, ...(await webEnv(ports)) });
  const apps = { identity, biometrics, web };
  try {
    await Promise.all(
      Object.entries(apps).map(([name, app]) => app.waitForLog(new RegExp(`"msg":"${name} ready"`), 180_000)),
    );
    const base = `http://127.0.0.1:${ports.web}`;
    const post = async (path: string, body: object | FormData, bearer?: string) => {
      const started = performance.now();
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          ...(body instanceof FormData ? {} : { 'content-type': 'application/json' }),
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
        body: body instanceof FormData ? body : JSON.stringify(body),
      });
      const json = (await response.json()) as Record<string, unknown>;
      return { ms: performance.now() - started, status: response.status, json };
    };
    const answer = (r: { status: number; json: Record<string, unknown> }) =>
      JSON.stringify({ status: r.status, error: { ...(r.json.error as object), requestId: undefined } });

    // A password account, one with a face and one without.
    const register = async (name: string) => {
      const password = `Bench passphrase for ${name} 1`;
      await post('/api/auth/register', {
        username: name,
        email: `${name}@example.com`,
        password,
        fullName: name,
      });
      const login = await post('/api/auth/login', { identifier: name, password });
      return login.json.accessToken as string;
    };
    await register('bench_plain');
    const enrolledToken = await register('bench_face');
    const alice = await facePhoto('alice');
    const bruno = await facePhoto('bruno');
    const noFace = await photoWithoutFace();
    const photo = (bytes: Buffer) => {
      const form = new FormData();
      form.set('image', new Blob([bytes], { type: 'image/jpeg' }), 'photo.jpg');
      return form;
    };
    const enrolled = await post('/api/user/face/register', photo(alice.bytes), enrolledToken);
    if (enrolled.status !== 201) throw new Error(`enrollment failed: ${JSON.stringify(enrolled.json)}`);

    // One unknown name, tried as often as the real ones: each name's throttle window then holds
    // the same history, so the comparison is of the paths alone.
    const unknown = `nobody_${randomBytes(4).toString('hex')}`;
    const rows: string[] = [];
    const measure = async (
      label: string,
      kinds: Record<string, () => Promise<{ ms: number; status: number; json: Record<string, unknown> }>>,
      rounds: number,
      reference: string,
    ) => {
      const times: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
      const answers = new Set<string>();
      // Warm-up, then alternate the kinds so drifts of the shared machine hit each alike.
      for (const attempt of Object.values(kinds)) await attempt();
      const started = performance.now();
      for (let i = 0; i < rounds; i++) {
        for (const [kind, attempt] of Object.entries(kinds)) {
          const r = await attempt();
          times[kind]!.push(r.ms);
          answers.add(answer(r));
        }
        // Progress on stderr: a block's medians show whether the paths slow down as history grows.
        if ((i + 1) % PROGRESS_EVERY === 0)
          console.error(
            `${label}: ${i + 1}/${rounds} rounds, ${((performance.now() - started) / 1000).toFixed(0)} s; last ${PROGRESS_EVERY} medians ${Object.entries(
              times,
            )
              .map(([kind, values]) => `${kind} ${quantile(values.slice(-PROGRESS_EVERY), 0.5).toFixed(1)}`)
              .join(', ')} ms`,
          );
      }
      const refMedian = quantile(times[reference]!, 0.5);
      for (const [kind, values] of Object.entries(times)) {
        const median = quantile(values, 0.5);
        rows.push(
          `| ${label} | ${kind} | ${values.length} | ${median.toFixed(2)} | ${quantile(values, 0.9).toFixed(2)} | ${kind === reference ? '—' : (median - refMedian).toFixed(2)} | ${answers.size === 1 ? 'yes' : `no (${answers.size} kinds)`} |`,
        );
      }
    };

    await measure(
      'password',
      {
        'unknown username': () => post('/api/auth/login', { identifier: unknown, password: 'a wrong one 1' }),
        'real account, wrong password': () =>
          post('/api/auth/login', { identifier: 'bench_plain', password: 'a wrong one 1' }),
      },
      ROUNDS,
      'real account, wrong password',
    );
    const faceLogin = (username: string, bytes: Buffer) => {
      const form = photo(bytes);
      form.set('username', username);
      return post('/api/auth/face-login', form);
    };
    for (const [label, bytes] of [
      ['face (another face)', bruno.bytes],
      ['face (no face in photo)', noFace.bytes],
    ] as const)
      await measure(
        label,
        {
          'unknown username': () => faceLogin(unknown, bytes),
          'account without a face': () => faceLogin('bench_plain', bytes),
          'enrolled account': () => faceLogin('bench_face', bytes),
        },
        FACE_ROUNDS,
        'enrolled account',
      );

    console.log(
      '\n| channel | caller | attempts | median ms | p90 ms | median − reference ms | one answer |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
  } finally {
    await Promise.all(Object.values(apps).map((app) => app.stop('SIGTERM', 5_000).catch(() => undefined)));
    await Promise.all([nats.stop(), mongo.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
