/**
 * biometrics benchmark (not a test): `npx tsx bench/biometrics.ts [--requests 48] [--rounds 4] [--workers N] [--skip-identify]`
 *
 * 1. Verify through the whole service — gRPC on loopback, image decode, inference pool, template
 *    decryption, attempt record in MongoDB, assertion signing — at concurrency 1, 2, 4, 8, against
 *    face-api called directly in the same number of worker threads on the same (already decoded)
 *    pixels (bench/lib/verify-raw-worker.ts, engineer A's baseline), with the same detector, once as
 *    shipped and once with the service's wasm kernels (raw+k). Probes are the fixture faces resized to
 *    640 px on the long side; each verifies against its own template. The three are measured in
 *    alternating rounds.
 * 2. Identify latency at 10k / 100k / 1M synthetic templates and RSS with 1M loaded: runs engineer
 *    B's bench/identify.ts in a child process (its own heap) and prints its table.
 * Starts its own nats-server and FerretDB/mongod (libs/testkit) in temp dirs.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { DEFAULT_LOGIN_WORKING_SIZE } from '../apps/biometrics/src/config.js';
import { decodeImage, type DecodedImage } from '../apps/biometrics/src/services/image-intake.js';
import { loadFixtures } from '../apps/biometrics/test/fixtures/faces.js';
import { startBiometricsService } from './lib/biometrics-service.js';
import { startRawFaceApi, type RawFaceApi } from './lib/raw-face-api.js';
import { numberArg } from './lib/args.js';

const WORKERS = numberArg('workers', availableParallelism());
const REQUESTS = numberArg('requests', 48);
const ROUNDS = numberArg('rounds', 4);
const CONCURRENCY = [1, 2, 4, 8];
const DETECTOR = 'tiny' as const;

// --- fixtures: 640 px single-face photos -------------------------------------------------------
const fx = await loadFixtures();
const photos: { id: string; enroll: Buffer; probe: Buffer; pixels: DecodedImage }[] = [];
for (const p of fx.people) {
  const enroll = await readFile(p.file);
  const probe = await sharp(enroll)
    .resize({ width: 640, height: 640, fit: 'inside' })
    .jpeg({ quality: 90 })
    .toBuffer();
  // The raw side gets exactly the pixels the service hands to inference for Verify.
  photos.push({
    id: p.id,
    enroll,
    probe,
    pixels: await decodeImage(probe, { workingSize: DEFAULT_LOGIN_WORKING_SIZE }),
  });
}

// --- the service, in-process, with real servers -------------------------------------------------
const service = await startBiometricsService(WORKERS);
const { client, admin, backend } = service;

const usable: typeof photos = [];
for (const p of photos) {
  try {
    await client.enroll(
      {
        largestFace: false,
        userId: `bench-${p.id}`,
        images: [{ source: { $case: 'data', value: p.enroll } }],
      },
      { accessToken: admin },
    );
    const r = await client.verifyForLogin({
      largestFace: false,
      userId: `bench-${p.id}`,
      image: { source: { $case: 'data', value: p.probe } },
    });
    if (r.match) usable.push(p);
  } catch {
    // a face the verify detector/gates refuse is left out of the timed set
  }
}

// --- raw face-api in worker threads --------------------------------------------------------------
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

interface Cell {
  faces: number;
  seconds: number;
  latencies: number[];
}

type Runner = (i: number) => Promise<number>;

const warmUp = (run: Runner, concurrency: number) =>
  Promise.all(Array.from({ length: concurrency }, (_, i) => run(i)));

/** `requests` calls at `concurrency`; adds to `cell`. */
async function measure(run: Runner, concurrency: number, requests: number, cell: Cell) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        const t = performance.now();
        const found = await run(i); // not `cell.faces += await …`: that reads `faces` before awaiting
        cell.faces += found;
        cell.latencies.push(performance.now() - t);
      }
    }),
  );
  cell.seconds += (performance.now() - started) / 1000;
}
const newCell = (): Cell => ({ faces: 0, seconds: 0, latencies: [] });
const summary = (cell: Cell) => {
  const sorted = [...cell.latencies].sort((a, b) => a - b);
  return { facesPerSec: cell.faces / cell.seconds, p50: pct(sorted, 50), p99: pct(sorted, 99) };
};

const serviceRun = async (i: number) => {
  const p = usable[i % usable.length]!;
  const r = await client.verifyForLogin({
    largestFace: false,
    userId: `bench-${p.id}`,
    image: { source: { $case: 'data', value: p.probe } },
    client: { ip: `10.0.0.${i % 250}`, userAgent: 'bench' },
  });
  return r.match ? 1 : 0;
};
const raw = await startRawFaceApi(WORKERS);
const rawFast = await startRawFaceApi(WORKERS, { fastKernels: true });
const onPixels =
  (faceApi: RawFaceApi): Runner =>
  (i) =>
    faceApi.run(usable[i % usable.length]!.pixels, DETECTOR);
const [rawRun, rawFastRun] = [onPixels(raw), onPixels(rawFast)];

console.log(
  `backend: ${backend}; workers: ${WORKERS}; detector (verify): ${DETECTOR}; requests per cell: ${REQUESTS} in ${ROUNDS} alternating rounds`,
);
console.log(
  `probes: ${usable.length} of ${photos.length} fixture faces, 640 px long side (JPEG q90); each verified against its own template`,
);
console.log(
  "raw = face-api as shipped; raw+k = the same with the service's wasm Concat/Slice (what the service adds beyond inference)",
);
console.log(
  '\n| concurrency | service faces/s | service p50 ms | service p99 ms | raw faces/s | raw p50 ms | raw p99 ms | ratio service/raw | raw+k faces/s | raw+k p50 ms | ratio service/raw+k |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const c of CONCURRENCY) {
  // This machine's speed drifts by tens of percent within minutes: the three are measured in
  // alternating rounds so that each sees the same conditions.
  const cells = { service: newCell(), raw: newCell(), rawFast: newCell() };
  for (const run of [serviceRun, rawRun, rawFastRun]) await warmUp(run, c);
  for (let round = 0; round < ROUNDS; round++) {
    const requests = Math.ceil(REQUESTS / ROUNDS);
    await measure(serviceRun, c, requests, cells.service);
    await measure(rawRun, c, requests, cells.raw);
    await measure(rawFastRun, c, requests, cells.rawFast);
  }
  const [s, r, k] = [summary(cells.service), summary(cells.raw), summary(cells.rawFast)];
  console.log(
    `| ${c} | ${s.facesPerSec.toFixed(2)} | ${s.p50.toFixed(0)} | ${s.p99.toFixed(0)} | ${r.facesPerSec.toFixed(2)} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${(s.facesPerSec / r.facesPerSec).toFixed(2)} | ${k.facesPerSec.toFixed(2)} | ${k.p50.toFixed(0)} | ${(s.facesPerSec / k.facesPerSec).toFixed(2)} |`,
  );
}
await Promise.all([raw.close(), rawFast.close()]);

await service.stop();

if (!process.argv.includes('--skip-identify')) {
  console.log("\nIdentify (engineer B's bench/identify.ts, own process):");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/identify.ts'], {
      stdio: 'inherit',
    });
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`bench/identify.ts exited with ${code}`)),
    );
  });
}
process.exit(0);
