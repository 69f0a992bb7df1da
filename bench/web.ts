/**
 * web (BFF) benchmark (not a test): `npx tsx bench/web.ts [--calls 3000] [--log-level info]`
 *
 * Starts its own nats-server and FerretDB/mongod (libs/testkit), identity and web as separate
 * processes (the way a user runs them), signs in, then measures one read procedure — the caller's
 * profile — over loopback at concurrency 1 and 32:
 *   direct   identity UserService.GetProfile over gRPC (generated client, token in metadata);
 *   tRPC     GET /trpc/me.profile on the BFF (Bearer), which verifies the token and calls GetProfile;
 *   REST     GET /api/user/profile on the BFF (the REST mirror of the same procedure).
 * The BFF's added latency is its percentile minus the direct one at the same concurrency (three
 * interleaved rounds per path; the median round is reported).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@guardian/grpc-kit';
import { AuthServiceClient, AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';
import { UserServiceClient, UserServiceService } from '@guardian/proto/gen/guardian/identity/v1/user';
import { startApp } from '../libs/testkit/src/processes.js';
import { freePort, startMongo, startNats } from '../libs/testkit/src/servers.js';
import { arg, numberArg } from './lib/args.js';

const CALLS = numberArg('calls', 3000);
const LOG_LEVEL = arg('log-level', 'info');

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function run(
  total: number,
  concurrency: number,
  task: () => Promise<unknown>,
): Promise<{ p50: number; p99: number; perSecond: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) {
        const t0 = performance.now();
        await task();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: total / seconds };
}

async function main() {
  const [nats, mongo] = await Promise.all([startNats(), startMongo()]);
  const identityPort = await freePort();
  const webPort = await freePort();
  const common = { LOG_LEVEL, MONGO_URL: mongo.url, NATS_URL: nats.url };
  const identity = startApp('identity', {
    ...common,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(identityPort),
    METRICS_PORT: String(await freePort()),
    IDENTITY_DEV_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'web-bench-')), 'keys.json'),
    IDENTITY_BOOTSTRAP_MASTER_USERNAME: 'bench-master',
    IDENTITY_BOOTSTRAP_MASTER_EMAIL: 'bench-master@example.com',
    IDENTITY_BOOTSTRAP_MASTER_PASSWORD: 'Bench master passphrase 1',
  });
  const web = startApp('web', {
    ...common,
    WEB_HOST: '127.0.0.1',
    WEB_HTTP_PORT: String(webPort),
    METRICS_PORT: String(await freePort()),
    WEB_IDENTITY_ADDRESS: `127.0.0.1:${identityPort}`,
    // The per-IP limits still run on every call; the budget only has to outlast the load.
    WEB_READ_RATE_LIMIT: '100000000',
  });
  const address = `127.0.0.1:${identityPort}`;
  const auth = createClient(AuthServiceClient, AuthServiceService, address, { deadlineMs: 30_000 });
  const users = createClient(UserServiceClient, UserServiceService, address, { deadlineMs: 30_000 });
  try {
    await Promise.all([
      identity.waitForLog(/"msg":"identity ready"/, 60_000),
      web.waitForLog(/"msg":"web ready"/, 60_000),
    ]);
    const login = await auth.login({
      identifier: 'bench-master',
      password: 'Bench master passphrase 1',
      client: { ip: '127.0.0.1', userAgent: 'bench' },
    });
    const token = login.tokens!.accessToken;
    const base = `http://127.0.0.1:${webPort}`;
    const headers = { authorization: `Bearer ${token}` };
    const direct = () => users.getProfile({}, { accessToken: token });
    const viaTrpc = async () => {
      const response = await fetch(`${base}/trpc/me.profile`, { headers });
      if (response.status !== 200) throw new Error(`tRPC ${response.status}`);
      await response.arrayBuffer();
    };
    const viaRest = async () => {
      const response = await fetch(`${base}/api/user/profile`, { headers });
      if (response.status !== 200) throw new Error(`REST ${response.status}`);
      await response.arrayBuffer();
    };
    // Warm up every path (JIT, connections, JWKS cache).
    for (const task of [direct, viaTrpc, viaRest]) await run(300, 8, task);

    const rows: string[] = [];
    for (const concurrency of [1, 32]) {
      // Interleaved rounds so slow drifts of the shared machine hit every path alike.
      const rounds = 3;
      const parts = {
        d: [] as Awaited<ReturnType<typeof run>>[],
        t: [] as Awaited<ReturnType<typeof run>>[],
        r: [] as Awaited<ReturnType<typeof run>>[],
      };
      for (let round = 0; round < rounds; round++) {
        parts.d.push(await run(CALLS / rounds, concurrency, direct));
        parts.r.push(await run(CALLS / rounds, concurrency, viaRest));
        parts.t.push(await run(CALLS / rounds, concurrency, viaTrpc));
      }
      const median = (xs: Awaited<ReturnType<typeof run>>[]) => {
        const pick = (key: 'p50' | 'p99' | 'perSecond') =>
          [...xs.map((x) => x[key])].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
        return { p50: pick('p50'), p99: pick('p99'), perSecond: pick('perSecond') };
      };
      const d = median(parts.d);
      const t = median(parts.t);
      const r = median(parts.r);
      const fmt = (x: number) => x.toFixed(2);
      rows.push(
        `| ${concurrency} | direct gRPC GetProfile | ${fmt(d.p50)} | ${fmt(d.p99)} | ${Math.round(d.perSecond)} | — | 1 |`,
      );
      rows.push(
        `| ${concurrency} | BFF tRPC me.profile | ${fmt(t.p50)} | ${fmt(t.p99)} | ${Math.round(t.perSecond)} | +${fmt(t.p50 - d.p50)} / +${fmt(t.p99 - d.p99)} | ${fmt(t.p50 / d.p50)} |`,
      );
      rows.push(
        `| ${concurrency} | BFF REST /api/user/profile | ${fmt(r.p50)} | ${fmt(r.p99)} | ${Math.round(r.perSecond)} | +${fmt(r.p50 - d.p50)} / +${fmt(r.p99 - d.p99)} | ${fmt(r.p50 / d.p50)} |`,
      );
    }
    console.log(`\n${CALLS} calls per row, LOG_LEVEL=${LOG_LEVEL}, loopback, identity + web as processes\n`);
    console.log(
      '| concurrency | path | p50 ms | p99 ms | calls/s | added by BFF p50 / p99 ms | p50 / direct p50 (same run) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
  } finally {
    auth.close();
    users.close();
    await Promise.all([web.stop('SIGTERM', 10_000), identity.stop('SIGTERM', 10_000)]);
    await Promise.all([nats.stop(), mongo.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
