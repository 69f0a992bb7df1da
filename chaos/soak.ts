/**
 * Soak: a realistic mix against a running mesh (`npm start` in another terminal), printing per
 * minute the throughput, p50/p99 per operation, errors by reason and the resident memory of each
 * Guardian process, so a leak shows as a slope.
 *   npm run soak -- --minutes 30 [--url http://127.0.0.1:8080] [--concurrency 4]
 * The mix (weights): sign-up 2, password sign-in 4, profile read 4, document upload 1, face
 * enrollment through the liveness check 1, face sign-in through the liveness check 2, and with
 * SOAK_MASTER_USERNAME / SOAK_MASTER_PASSWORD admin reads 2. Face captures are rendered from a
 * face-api demo photo (apps/biometrics/test/fixtures/liveness.ts); challenges asking for a blink are
 * put aside (the renderer cannot shut eyes). RSS is read from /proc for the processes running
 * apps/<app>/src/main.ts that descend from `npm start` (`--all-processes`: any). Ends with the RSS slope per process (least squares, MiB per minute).
 * A refusal with Retry-After (web's per-IP limits: from one IP, 30 sign-in-tier calls a minute by
 * default) is waited out as a client would; raise WEB_AUTH_RATE_LIMIT to soak the sign-in mix harder.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { LivenessAction } from '@guardian/auth';
import { loadFixtures } from '../apps/biometrics/test/fixtures/faces.js';
import { performCapture, sourceFace, type SourceFace } from '../apps/biometrics/test/fixtures/liveness.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const MINUTES = Number(arg('minutes', '5'));
const BASE = arg('url', process.env.SOAK_URL ?? 'http://127.0.0.1:8080');
const CONCURRENCY = Number(arg('concurrency', '4'));
const UA = 'guardian-soak/1.0';
/** Count only the processes `npm start` started (default); `--all-processes` counts every Guardian app process. */
const ONLY_START_SCRIPT = !args.includes('--all-processes');

type Op =
  'sign-up' | 'password sign-in' | 'profile' | 'document' | 'face enroll' | 'face sign-in' | 'admin reads';

interface Minute {
  latencies: Map<Op, number[]>;
  errors: Map<string, number>;
}
const fresh = (): Minute => ({ latencies: new Map(), errors: new Map() });
let minute = fresh();

async function call(method: string, path: string, body?: unknown, token?: string) {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: {
      'user-agent': UA,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json().catch(() => ({}))) as Record<string, unknown> & {
    error?: { reason?: string };
  };
  if (!response.ok)
    throw Object.assign(new Error(`${response.status}`), {
      reason: json.error?.reason ?? String(response.status),
      retryAfterMs: Number(response.headers.get('retry-after') ?? 0) * 1000,
    });
  return json;
}

/** Runs one operation and records its latency or its error; a refusal with Retry-After is waited out, as a client would. */
async function timed(op: Op, run: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  try {
    if ((await run()) === SKIPPED) return;
    const list = minute.latencies.get(op) ?? [];
    list.push(performance.now() - started);
    minute.latencies.set(op, list);
  } catch (error) {
    const key = `${op}: ${(error as { reason?: string }).reason ?? (error as Error).message}`;
    minute.errors.set(key, (minute.errors.get(key) ?? 0) + 1);
    const wait = (error as { retryAfterMs?: number }).retryAfterMs ?? 0;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 30_000)));
  }
}

/** What an operation answers when it does not apply now (no enrolled account, no master). */
const SKIPPED = Symbol('skipped');

interface Account {
  username: string;
  password: string;
  token: string;
  /** When `token` was issued. */
  at: number;
  enrolled: boolean;
}
const accounts: Account[] = [];

/** Access tokens last 15 minutes: a client signs in again a little before (not counted as an operation). */
const TOKEN_REFRESH_MS = 12 * 60_000;
async function tokenOf(a: Account): Promise<string> {
  if (Date.now() - a.at > TOKEN_REFRESH_MS) {
    a.token = (await call('POST', '/api/auth/login', { identifier: a.username, password: a.password }))
      .accessToken as string;
    a.at = Date.now();
  }
  return a.token;
}

/** A challenge without a blink and the capture that performs it, captured in real time. */
async function capture(start: Record<string, unknown>, token?: string) {
  for (;;) {
    const started = await call('POST', '/api/auth/liveness', start, token);
    const actions = started.actions as LivenessAction[];
    if (actions.includes('blink')) continue;
    const frames = await performCapture(face, actions);
    await new Promise((resolve) => setTimeout(resolve, frames.at(-1)!.tMs));
    return {
      session: started.session as string,
      frames: frames.map((f) => ({ image: f.image.toString('base64'), tMs: f.tMs })),
    };
  }
}

const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;

async function signUp() {
  const username = `soak_${randomBytes(5).toString('hex')}`;
  const password = `Soak passphrase ${randomBytes(8).toString('hex')}`;
  await call('POST', '/api/auth/register', {
    username,
    email: `${username}@example.com`,
    password,
    fullName: 'Soak User',
  });
  const login = await call('POST', '/api/auth/login', { identifier: username, password });
  accounts.push({ username, password, token: login.accessToken as string, at: Date.now(), enrolled: false });
}

let master: Account | undefined;
const MIX: [Op, number, () => Promise<unknown>][] = [
  ['sign-up', 2, signUp],
  [
    'password sign-in',
    4,
    async () => {
      const a = pick(accounts);
      a.token = (await call('POST', '/api/auth/login', { identifier: a.username, password: a.password }))
        .accessToken as string;
      a.at = Date.now();
    },
  ],
  ['profile', 4, async () => call('GET', '/api/user/profile', undefined, await tokenOf(pick(accounts)))],
  [
    'document',
    1,
    async () =>
      call(
        'POST',
        '/api/verification/documents',
        { type: 'id_card', content: document },
        await tokenOf(pick(accounts)),
      ),
  ],
  [
    'face enroll',
    1,
    async () => {
      const a = pick(accounts.filter((x) => !x.enrolled).concat(accounts[0]!));
      const token = await tokenOf(a);
      const liveness = await capture({ purpose: 'enroll' }, token);
      await call('POST', '/api/user/face/register', { liveness }, token);
      a.enrolled = true;
    },
  ],
  [
    'face sign-in',
    2,
    async () => {
      const enrolled = accounts.filter((a) => a.enrolled);
      if (!enrolled.length) return SKIPPED;
      const a = pick(enrolled);
      const liveness = await capture({ username: a.username });
      await call('POST', '/api/auth/face-login', { username: a.username, liveness });
    },
  ],
  [
    'admin reads',
    2,
    async () => {
      if (!master) return SKIPPED;
      const token = await tokenOf(master);
      await call('GET', '/api/admin/users?pageSize=20', undefined, token);
      await call('GET', '/api/admin/login-attempts?limit=20', undefined, token);
    },
  ],
];

/** Resident memory (MiB) of each Guardian app process on this machine. */
/** Whether `pid` descends from `npm start` (scripts/start.sh): other Guardian processes (tests, chaos) do not count. */
function startedByStartScript(pid: string): boolean {
  for (let current = pid, hops = 0; current !== '0' && current !== '1' && hops < 12; hops++) {
    const cmd = readFileSync(`/proc/${current}/cmdline`, 'utf8');
    if (cmd.includes('scripts/start.sh')) return true;
    // The parent pid is the field after the command name (which may hold spaces) in /proc/<pid>/stat.
    const stat = readFileSync(`/proc/${current}/stat`, 'utf8');
    current = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '0';
  }
  return false;
}

function rss(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const app = /apps\/(identity|biometrics|notifier|web)\/(?:src\/main\.ts|dist)/.exec(cmd)?.[1];
      if (!app || (ONLY_START_SCRIPT && !startedByStartScript(pid))) continue;
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      out[app] = (out[app] ?? 0) + kb / 1024;
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const pct = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN;
};

const fx = await loadFixtures();
const photo = await readFile(fx.people.find((p) => p.id === 's5-f0')!.file);
const document = photo.toString('base64');
/** Setup calls wait out web's per-IP limits (an earlier run may have spent them). */
async function patiently<T>(run: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await run();
    } catch (error) {
      const wait = (error as { retryAfterMs?: number }).retryAfterMs ?? 0;
      if (!wait) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
for (let i = 0; i < 3; i++) await patiently(signUp);
const detected = await patiently(() =>
  call('POST', '/api/face/detect', { image: document }, accounts[0]!.token),
);
const face: SourceFace = await sourceFace(
  photo,
  (detected.faces as { landmarks: { x: number; y: number }[] }[])[0]!.landmarks,
);
if (process.env.SOAK_MASTER_USERNAME && process.env.SOAK_MASTER_PASSWORD) {
  master = {
    username: process.env.SOAK_MASTER_USERNAME,
    password: process.env.SOAK_MASTER_PASSWORD,
    token: '',
    at: 0,
    enrolled: false,
  };
  await tokenOf(master);
}

console.log(
  `soak against ${BASE} for ${MINUTES} min, ${CONCURRENCY} clients; RSS at start ${JSON.stringify(rss())}`,
);
const total = MIX.reduce((n, [, w]) => n + w, 0);
const end = Date.now() + MINUTES * 60_000;
const samples: { minute: number; rss: Record<string, number> }[] = [];
const worker = async () => {
  while (Date.now() < end) {
    let r = Math.random() * total;
    const [op, , run] = MIX.find(([, w]) => (r -= w) < 0) ?? MIX[0]!;
    await timed(op, run);
  }
};
const report = setInterval(() => {
  const m = minute;
  minute = fresh();
  const n = samples.length + 1;
  const mem = rss();
  samples.push({ minute: n, rss: mem });
  const ops = [...m.latencies.values()].reduce((a, l) => a + l.length, 0);
  console.log(
    `\nminute ${n}: ${(ops / 60).toFixed(2)} ops/s; RSS MiB ${Object.entries(mem)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ')}`,
  );
  for (const [op, l] of m.latencies)
    console.log(
      `  ${op.padEnd(17)} n=${String(l.length).padStart(4)} p50 ${pct(l, 0.5).toFixed(0)} ms  p99 ${pct(l, 0.99).toFixed(0)} ms`,
    );
  for (const [reason, count] of m.errors) console.log(`  error ${reason}: ${count}`);
}, 60_000);
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
clearInterval(report);

// RSS slope per process: least squares over the per-minute samples.
console.log('\nRSS slope (MiB per minute, least squares over the minutes):');
for (const app of ['identity', 'biometrics', 'notifier', 'web']) {
  const points = samples.filter((s) => s.rss[app] !== undefined).map((s) => [s.minute, s.rss[app]!] as const);
  if (points.length < 2) continue;
  const mx = points.reduce((a, [x]) => a + x, 0) / points.length;
  const my = points.reduce((a, [, y]) => a + y, 0) / points.length;
  const slope =
    points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) /
    points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  console.log(
    `  ${app}: ${slope.toFixed(2)} (from ${points[0]![1].toFixed(0)} to ${points.at(-1)![1].toFixed(0)} MiB)`,
  );
}
