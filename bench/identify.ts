/**
 * Identify (1:N) benchmark: `npx tsx bench/identify.ts [--sizes 10000,100000,1000000] [--queries 60]`.
 *
 * Builds a FaceIndex of N synthetic templates (random unit vectors, seeded), plants near-duplicates of
 * some indexed users, and measures search latency for top-5:
 *  - "identify": at the default identify threshold (what the service does);
 *  - "top-5 no threshold": threshold 2 (every row eligible: the worst case for the pruning);
 *  - "exact JS scan": the plain float32 JS scan (reference), a few queries only.
 * Checks that every planted duplicate is found first and that the fast path equals the exact scan.
 * Prints process RSS with the largest index loaded.
 */
import { FaceIndex } from '../apps/biometrics/src/services/face-index.js';
import { identifyThreshold } from '../apps/biometrics/src/services/matching.js';
import {
  randomUnitVector,
  seededRandom,
  vectorAtDistance,
} from '../apps/biometrics/src/services/matching-testkit.js';
import { arg, numberArg } from './lib/args.js';

const MODEL = 'faceapi-1.7.15/facerecognitionnet';
const sizes = arg('sizes', '10000,100000,1000000').split(',').map(Number);
const queries = numberArg('queries', 60);
const PLANTED = 20;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const mb = (b: number) => Math.round(b / 2 ** 20);
const gc = (globalThis as { gc?: () => void }).gc;

interface Row {
  n: number;
  genS: number;
  upsertUsPerRow: number;
  identifyMin: number;
  identifyP50: number;
  identifyP99: number;
  top5P50: number;
  top5P99: number;
  exactP50: number;
  meanCandidates: number;
  plantedFound: string;
  exactAgreement: string;
  rssMb: number;
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

const userIdOf = (i: number) => `user-${i.toString(36).padStart(8, '0')}`;

function run(n: number): Row {
  const rand = seededRandom(n);
  const index = new FaceIndex({ modelId: MODEL });
  const BATCH = 10_000;
  let genMs = 0;
  let upsertMs = 0;
  for (let start = 0; start < n; start += BATCH) {
    const t0 = performance.now();
    const batch = Array.from({ length: Math.min(BATCH, n - start) }, () => randomUnitVector(rand, 1.45));
    const t1 = performance.now();
    batch.forEach((v, j) => index.upsert(userIdOf(start + j), v, MODEL));
    genMs += t1 - t0;
    upsertMs += performance.now() - t1;
  }

  // planted near-duplicates: probes within 0.05 .. 0.9 × the identify threshold of indexed users
  const planted: { probe: Float32Array; userId: string }[] = [];
  for (let i = 0; i < PLANTED; i++) {
    const userId = userIdOf(Math.floor(rand() * n));
    const d = 0.05 + (0.9 * identifyThreshold(n) - 0.05) * rand();
    planted.push({ probe: vectorAtDistance(rand, index.get(userId)!, d, 1.45), userId });
  }
  const randomProbes = Array.from({ length: queries }, () => randomUnitVector(rand, 1.45));

  // warm-up (JIT, wasm tier-up)
  for (let i = 0; i < 5; i++) index.search(randomProbes[i]!, 5, 2);

  let found = 0;
  for (const { probe, userId } of planted) if (index.search(probe, 5)[0]?.userId === userId) found++;

  const identify: number[] = [];
  const top5: number[] = [];
  let candidates = 0;
  for (let i = 0; i < queries; i++) {
    const probe = i % 3 === 0 ? planted[i % PLANTED]!.probe : randomProbes[i]!;
    identify.push(time(() => index.search(probe, 5, identifyThreshold(n))));
    top5.push(time(() => index.search(probe, 5, 2)));
    candidates += index.lastSearch.candidates;
  }

  // exact reference on a few probes: latency and agreement of the fast path
  const exact: number[] = [];
  let agree = 0;
  const checks = n >= 1_000_000 ? 5 : 10;
  for (let i = 0; i < checks; i++) {
    const probe = i % 2 === 0 ? planted[i]!.probe : randomProbes[i]!;
    let ref: ReturnType<FaceIndex['search']> = [];
    exact.push(time(() => (ref = index.search(probe, 5, 2, { exact: true }))));
    const fast = index.search(probe, 5, 2);
    if (JSON.stringify(fast.map((h) => h.userId)) === JSON.stringify(ref.map((h) => h.userId))) agree++;
  }

  gc?.();
  const rss = process.memoryUsage().rss;
  return {
    n,
    genS: Number((genMs / 1000).toFixed(1)),
    upsertUsPerRow: Number(((upsertMs * 1000) / n).toFixed(1)),
    identifyMin: Number(Math.min(...identify).toFixed(1)),
    identifyP50: Number(pct(identify, 0.5).toFixed(1)),
    identifyP99: Number(pct(identify, 0.99).toFixed(1)),
    top5P50: Number(pct(top5, 0.5).toFixed(1)),
    top5P99: Number(pct(top5, 0.99).toFixed(1)),
    exactP50: Number(pct(exact, 0.5).toFixed(1)),
    meanCandidates: Math.round(candidates / queries),
    plantedFound: `${found}/${PLANTED}`,
    exactAgreement: `${agree}/${checks}`,
    rssMb: mb(rss),
  };
}

const loadBefore = (await import('node:os')).loadavg()[0]!.toFixed(1);
const rows: Row[] = [];
for (const n of sizes) {
  rows.push(run(n));
  gc?.();
  process.stderr.write(`done ${n}\n`);
}

console.log(
  `Identify benchmark — node ${process.version}, ${(await import('node:os')).cpus().length} vCPU, load avg ${(
    await import('node:os')
  )
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(
  `1-min load avg at start ${loadBefore}; 1:N threshold (distance) at 10k / 1M templates ${identifyThreshold(1e4).toFixed(4)} / ${identifyThreshold(1e6).toFixed(4)}; ${queries} queries per size; ms per query`,
);
console.log(
  '| templates | upsert µs/row | identify min | identify p50 | identify p99 | top-5 (no threshold) p50 | p99 | exact JS scan p50 | candidates re-scored | planted found | = exact | RSS MB |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.n.toLocaleString('en')} | ${r.upsertUsPerRow} | ${r.identifyMin} | ${r.identifyP50} | ${r.identifyP99} | ${r.top5P50} | ${r.top5P99} | ${r.exactP50} | ${r.meanCandidates} | ${r.plantedFound} | ${r.exactAgreement} | ${r.rssMb} |`,
  );
}
console.log(JSON.stringify(rows));
