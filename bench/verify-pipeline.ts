/**
 * Inference throughput and latency: raw face-api in N worker threads vs. the InferencePool, at
 * concurrency 1/2/4/8, tiny vs ssd; then pool micro-batching on vs off. The raw side runs the same
 * faster wasm kernels as the pool (wasm-kernels.ts), so the difference is the pool's own cost.
 * Run: npx tsx bench/verify-pipeline.ts [--requests 24] [--workers N]
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { InferencePool, type DetectorKind } from '../apps/biometrics/src/repositories/inference/index.js';
import { decodeImage, type DecodedImage } from '../apps/biometrics/src/services/image-intake.js';
import { loadFixtures } from '../apps/biometrics/test/fixtures/faces.js';
import { startRawFaceApi, type RawFaceApi } from './lib/raw-face-api.js';
import { numberArg } from './lib/args.js';

const WORKERS = numberArg('workers', availableParallelism());
const REQUESTS = numberArg('requests', 24);
const CONCURRENCY = [1, 2, 4, 8];

const fx = await loadFixtures();
const images: DecodedImage[] = [];
for (const p of fx.people) images.push(await decodeImage(await readFile(p.file)));
const copy = (img: DecodedImage) => ({ ...img, pixels: img.pixels.slice() });

/** Raw face-api and the pool, driven alike. */
type Runner = Pick<RawFaceApi, 'run' | 'close'>;

async function poolRunner(n: number, microBatch: boolean): Promise<Runner & { backend: string }> {
  const pool = await InferencePool.start({ workers: n, maxQueue: 64, microBatch, warmup: true });
  return {
    backend: pool.backend,
    async run(image, detector) {
      return (await pool.describe({ image: copy(image), detector })).faces.length;
    },
    close: () => pool.close(),
  };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function measure(runner: Runner, detector: DetectorKind, concurrency: number, requests: number) {
  // warm-up: one round per client
  await Promise.all(
    Array.from({ length: concurrency }, (_, i) => runner.run(images[i % images.length]!, detector)),
  );
  const latencies: number[] = [];
  let next = 0;
  let faces = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        const t = performance.now();
        const found = await runner.run(images[i % images.length]!, detector); // (not `faces += await`: lost updates)
        faces += found;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const wall = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { facesPerSec: faces / wall, p50: pct(latencies, 50), p99: pct(latencies, 99) };
}

const rows: string[] = [];
const row = (
  label: string,
  detector: string,
  c: number,
  r: { facesPerSec: number; p50: number; p99: number },
) => {
  const line = `| ${label} | ${detector} | ${c} | ${r.facesPerSec.toFixed(2)} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} |`;
  rows.push(line);
  console.log(line);
};

const pool = await poolRunner(WORKERS, false);
console.log(
  `backend: ${pool.backend}; workers: ${WORKERS}; requests per cell: ${REQUESTS}; images: ${images.length} single-face crops (~${images[0]!.width}x${images[0]!.height})`,
);
console.log(
  '| runner | detector | concurrency | faces/s | p50 ms | p99 ms |\n| --- | --- | --- | --- | --- | --- |',
);
const raw = await startRawFaceApi(WORKERS, { fastKernels: true });
for (const detector of ['tiny', 'ssd'] as const) {
  for (const c of CONCURRENCY) {
    row('raw face-api', detector, c, await measure(raw, detector, c, REQUESTS));
    row('pool', detector, c, await measure(pool, detector, c, REQUESTS));
  }
}
await raw.close();
await pool.close();

const single = await poolRunner(1, false);
for (const detector of ['tiny', 'ssd'] as const)
  row('pool, 1 worker', detector, 4, await measure(single, detector, 4, REQUESTS));
await single.close();

const batched = await poolRunner(WORKERS, true);
const unbatched = await poolRunner(WORKERS, false);
for (const detector of ['tiny', 'ssd'] as const) {
  row('pool, micro-batch off', detector, 8, await measure(unbatched, detector, 8, REQUESTS));
  row('pool, micro-batch on', detector, 8, await measure(batched, detector, 8, REQUESTS));
}
await batched.close();
await unbatched.close();
