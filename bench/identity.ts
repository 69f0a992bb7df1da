/**
 * identity benchmark (not a test): `npx tsx bench/identity.ts [--calls 4000] [--logins 200] [--login-concurrency 8]`
 *
 * Starts its own nats-server and FerretDB/mongod (libs/testkit) and identity as a separate process
 * (`apps/identity/src/main.ts`, the way a user runs it), then over loopback gRPC with the generated
 * clients:
 * 1. GetUser latency p50/p99 at concurrency 1 and 32 (token verification + session check + read);
 * 2. password logins/s at a fixed concurrency, against raw argon2id hashes/s with the same
 *    parameters (m=19456 KiB, t=2, p=1) and the same concurrency in this process — the ratio is
 *    what the service adds around the hash (lookups, attempt records, session, events, JWT).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import argon2 from 'argon2';
import { createClient } from '@guardian/grpc-kit';
import { AuthServiceClient, AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';
import { UserServiceClient, UserServiceService } from '@guardian/proto/gen/guardian/identity/v1/user';
import { OWASP_ARGON2ID } from '../apps/identity/src/services/password-hasher.js';
import { startApp } from '../libs/testkit/src/processes.js';
import { freePort, startMongo, startNats } from '../libs/testkit/src/servers.js';
import { numberArg } from './lib/args.js';

const CALLS = numberArg('calls', 4000);
const LOGINS = numberArg('logins', 200);
const LOGIN_CONCURRENCY = numberArg('login-concurrency', 8);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function run<T>(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await task(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
}

async function main() {
  const [nats, mongo] = await Promise.all([startNats(), startMongo()]);
  const grpcPort = await freePort();
  const app = startApp('identity', {
    LOG_LEVEL: 'info',
    MONGO_URL: mongo.url,
    NATS_URL: nats.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(grpcPort),
    METRICS_PORT: String(await freePort()),
    IDENTITY_DEV_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'identity-bench-')), 'keys.json'),
    IDENTITY_BOOTSTRAP_MASTER_USERNAME: 'bench-master',
    IDENTITY_BOOTSTRAP_MASTER_EMAIL: 'bench-master@example.com',
    IDENTITY_BOOTSTRAP_MASTER_PASSWORD: 'Bench master passphrase 1',
    // e.g. `--import ./profile.mjs` to profile identity during the run
    ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
  });
  try {
    await app.waitForLog(/identity ready/, 60_000);
    const address = `127.0.0.1:${grpcPort}`;
    const auth = createClient(AuthServiceClient, AuthServiceService, address, { deadlineMs: 30_000 });
    const users = createClient(UserServiceClient, UserServiceService, address, { deadlineMs: 30_000 });
    const password = 'A long bench passphrase 42';
    const { user } = await auth.register({
      username: 'bench_user',
      email: 'bench@example.com',
      password,
      fullName: 'Bench User',
      locale: 'en',
      client: { ip: '127.0.0.1', userAgent: 'bench' },
    });
    const { tokens } = await auth.login({
      identifier: 'bench_user',
      password,
      client: { ip: '127.0.0.1', userAgent: 'bench' },
    });
    const call = { accessToken: tokens!.accessToken };

    console.log(`identity benchmark — ${mongo.kind}, nats-server, loopback gRPC, node ${process.version}\n`);
    await run(200, 8, () => users.getUser({ userId: user!.id }, call)); // warm-up
    const latencyAt = async (title: string, callOnce: () => Promise<unknown>) => {
      console.log(title);
      for (const concurrency of [1, 32]) {
        const { latencies, seconds } = await run(CALLS, concurrency, callOnce);
        console.log(
          `  concurrency ${String(concurrency).padStart(2)}: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, ${(CALLS / seconds).toFixed(0)} calls/s (${CALLS} calls)`,
        );
      }
    };
    await latencyAt('GetUser (access-token check + live-session check + user read)', () =>
      users.getUser({ userId: user!.id }, call),
    );
    // The floor for any unary call through this server, handler kit and client on this machine.
    await latencyAt('GetJwks (no token, no database: what any unary call costs here)', () =>
      auth.getJwks({}),
    );

    // Alternate raw hashing and logins in rounds so both see the same background load; report each
    // round and the median ratio.
    const ROUNDS = 3;
    const perRound = Math.max(LOGIN_CONCURRENCY, Math.round(LOGINS / ROUNDS));
    const ratios: number[] = [];
    console.log(
      `\nPassword logins vs raw argon2id (m=${OWASP_ARGON2ID.memoryCost} KiB, t=${OWASP_ARGON2ID.timeCost}, p=${OWASP_ARGON2ID.parallelism}), concurrency ${LOGIN_CONCURRENCY}, ${ROUNDS} alternating rounds of ${perRound}`,
    );
    for (let round = 1; round <= ROUNDS; round++) {
      const raw = await run(perRound, LOGIN_CONCURRENCY, () =>
        argon2.hash(password, { type: argon2.argon2id, ...OWASP_ARGON2ID }),
      );
      const logins = await run(perRound, LOGIN_CONCURRENCY, () =>
        auth.login({ identifier: 'bench_user', password, client: { ip: '127.0.0.1', userAgent: 'bench' } }),
      );
      const rawRate = perRound / raw.seconds;
      const loginRate = perRound / logins.seconds;
      ratios.push(loginRate / rawRate);
      console.log(
        `  round ${round}: raw argon2id ${rawRate.toFixed(1)} hashes/s (p50 ${percentile(raw.latencies, 50).toFixed(1)} ms), ` +
          `logins ${loginRate.toFixed(1)}/s (p50 ${percentile(logins.latencies, 50).toFixed(1)} ms, p99 ${percentile(logins.latencies, 99).toFixed(1)} ms), ratio ${(loginRate / rawRate).toFixed(2)}`,
      );
    }
    console.log(
      `  median ratio logins/hashes: ${[...ratios].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!.toFixed(2)}`,
    );
    auth.close();
    users.close();
  } finally {
    await app.stop('SIGTERM');
    await Promise.allSettled([nats.stop(), mongo.stop()]);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
