/**
 * Inference pool on real models and real images (wasm backend here). One pool for the whole file.
 * Distances measured here are printed (see docs/inference.md for the recorded figures).
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '@guardian/domain';
import {
  InferencePool,
  describe as describeDirect,
  describeBatch,
  descriptorDistance,
  loadBackend,
  loadModels,
  requireFaces,
  requireSingleFace,
  type DescribeResult,
  type DetectorKind,
  type FaceApi,
  installFastWasmKernels,
  uninstallFastWasmKernels,
} from '../src/repositories/inference/index.js';
import { decodeImage, type DecodedImage } from '../src/services/image-intake.js';
import { loadFixtures, type FixtureCatalogue } from './fixtures/faces.js';

let fx: FixtureCatalogue;
let pool: InferencePool;
let faceapi: FaceApi;

beforeAll(async () => {
  fx = await loadFixtures();
  [pool, faceapi] = await Promise.all([
    InferencePool.start({ workers: 2, maxQueue: 4, warmup: false }),
    loadBackend('wasm').then(async (b) => {
      await loadModels(b.faceapi);
      return b.faceapi;
    }),
  ]);
}, 240_000);

afterAll(async () => {
  await pool?.close();
});

const decode = async (file: string, workingSize?: number) =>
  decodeImage(await readFile(file), { workingSize });
const copy = (img: DecodedImage): DecodedImage => ({ ...img, pixels: img.pixels.slice() });
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
};
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}
async function domainRejection(promise: Promise<unknown>): Promise<DomainError> {
  const e = await rejection(promise);
  expect(e).toBeInstanceOf(DomainError);
  return e as DomainError;
}
const single = (r: DescribeResult) => requireSingleFace(r).descriptor;

describe('backend selection', () => {
  it('auto falls back to wasm here, logging why the native backends were skipped', async () => {
    const logs: string[] = [];
    const log = (obj: object, msg: string) => logs.push(`${msg} ${JSON.stringify(obj)}`);
    const b = await loadBackend('auto', { info: log, warn: log, error: log });
    expect(b.name).toBe('wasm');
    expect(b.tfBackend).toBe('wasm');
    expect(b.skipped.map((s) => s.backend)).toEqual(['gpu', 'node']);
    expect(logs.join('\n')).toContain('@tensorflow/tfjs-node-gpu is not installed');
    expect(pool.backend).toBe('wasm');
    expect(pool.stats().backend).toBe('wasm');
  });

  it('an explicit gpu choice fails loudly when tfjs-node-gpu is absent', async () => {
    await expect(loadBackend('gpu')).rejects.toThrow(/tfjs-node-gpu is not installed/);
  });
});

describe('pipeline fidelity', () => {
  it.each<DetectorKind>(['tiny', 'ssd'])(
    'intake + pool descriptor equals stock face-api in-process (%s)',
    async (detector) => {
      const img = await decode(fx.people[0]!.file);
      const reference = copy(img);
      const viaPool = await pool.describe({ image: img, detector });
      expect(img.pixels.byteLength).toBe(0); // the pixel buffer was transferred, not copied

      const opts =
        detector === 'tiny'
          ? new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 })
          : new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 20 });
      // The pool's workers run the faster Concat/Slice (wasm-kernels.ts); the reference is face-api
      // exactly as shipped.
      uninstallFastWasmKernels(faceapi);
      const tensor = faceapi.tf.tensor3d(reference.pixels, [reference.height, reference.width, 3], 'int32');
      let direct;
      try {
        direct = await faceapi.detectAllFaces(tensor, opts).withFaceLandmarks().withFaceDescriptors();
      } finally {
        tensor.dispose();
        installFastWasmKernels(faceapi);
      }

      expect(viaPool.faces).toHaveLength(1);
      expect(direct).toHaveLength(1);
      const diff = maxAbsDiff(viaPool.faces[0]!.descriptor, direct[0]!.descriptor);
      console.log(`[fidelity] ${detector}: max |pool - direct| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(1e-4);
      expect(viaPool.faces[0]!.box.x).toBeCloseTo(direct[0]!.detection.box.x, 3);
      expect(viaPool.faces[0]!.landmarks).toHaveLength(68);
    },
  );

  it('boxes and landmarks come back in original coordinates when intake downscales', async () => {
    const small = await decode(fx.group.file, 640); // 1920 -> 640, scale 3
    expect(small.scale).toBeCloseTo(3, 5);
    const reference = copy(small);
    const r = await pool.describe({ image: small, detector: 'tiny' });
    const direct = await describeDirect(faceapi, { image: { ...reference, scale: 1 }, detector: 'tiny' });
    expect(r.faces.length).toBe(direct.length);
    expect(r.scale).toBeCloseTo(3, 5);
    for (const [i, f] of r.faces.entries()) {
      expect(f.box.x).toBeCloseTo(direct[i]!.box.x * 3, 2);
      expect(f.landmarks[30]!.y).toBeCloseTo(direct[i]!.landmarks[30]!.y * 3, 2);
      expect(maxAbsDiff(f.descriptor, direct[i]!.descriptor)).toBeLessThan(1e-4);
    }
  });

  it('micro-batched describe (batched landmark + descriptor passes) matches per-image describe', async () => {
    const imgs = await Promise.all(
      [fx.people[0]!.file, fx.group.file, fx.people[5]!.file].map((f) => decode(f)),
    );
    const batched = await describeBatch(
      faceapi,
      imgs.map((image) => ({ image: copy(image), detector: 'tiny' })),
    );
    for (const [i, image] of imgs.entries()) {
      const one = await describeDirect(faceapi, { image: copy(image), detector: 'tiny' });
      expect(batched[i]!.length).toBe(one.length);
      for (const [k, f] of one.entries())
        expect(maxAbsDiff(batched[i]![k]!.descriptor, f.descriptor)).toBeLessThan(1e-4);
    }
    expect(batched[1]!.length).toBe(fx.group.faces);
  });
});

describe('micro-batching through the pool', () => {
  it('batches queued describe jobs in one worker call with the same descriptors', async () => {
    const batchPool = await InferencePool.start({ workers: 1, microBatch: true, warmup: false });
    try {
      expect(batchPool.stats().microBatch).toBe(true);
      const files = [fx.people[0]!.file, fx.people[1]!.file, fx.people[2]!.file, fx.people[3]!.file];
      const imgs = await Promise.all(files.map((f) => decode(f)));
      const results = await Promise.all(
        imgs.map((image) => batchPool.describe({ image: copy(image), detector: 'tiny' })),
      );
      // The first job starts alone; the three queued behind it travel together.
      expect(results.map((r) => r.batchSize)).toEqual([1, 3, 3, 3]);
      for (const [i, image] of imgs.entries()) {
        const [direct] = await describeDirect(faceapi, { image: copy(image), detector: 'tiny' });
        expect(maxAbsDiff(results[i]!.faces[0]!.descriptor, direct!.descriptor)).toBeLessThan(1e-4);
      }
    } finally {
      await batchPool.close();
    }
  });
});

describe('face checks on real detections', () => {
  it('accepts a single good face', async () => {
    const r = await pool.describe({ image: await decode(fx.people[1]!.file), detector: 'tiny' });
    const face = requireSingleFace(r);
    expect(face.descriptor).toHaveLength(128);
    expect(face.score).toBeGreaterThanOrEqual(0.6);
  });

  it('NO_FACE on a synthetic non-face image', async () => {
    const r = await pool.describe({ image: await decode(fx.nonFace), detector: 'ssd' });
    const e = (() => {
      try {
        requireSingleFace(r);
      } catch (error) {
        return error as DomainError;
      }
    })();
    expect([e?.kind, e?.reason]).toEqual(['unprocessable', 'NO_FACE']);
    expect(() => requireFaces(r)).toThrow(/no face/);
  });

  it('MULTIPLE_FACES on a group photo (single-face operations), accepted by multi-face ones', async () => {
    const r = await pool.describe({ image: await decode(fx.group.file), detector: 'tiny' });
    expect(() => requireSingleFace(r)).toThrowError(
      expect.objectContaining({ reason: 'MULTIPLE_FACES', kind: 'unprocessable' }),
    );
    expect(requireFaces(r).length).toBe(fx.group.faces);
  });

  it.each<DetectorKind>(['tiny', 'ssd'])('FACE_TOO_SMALL for a ~50 px face (%s)', async (detector) => {
    const r = await pool.describe({ image: await decode(fx.smallFace), detector });
    expect(r.faces).toHaveLength(1);
    expect(() => requireSingleFace(r)).toThrowError(
      expect.objectContaining({ reason: 'FACE_TOO_SMALL', kind: 'unprocessable' }),
    );
    // The limit is configurable: a 32 px minimum lets the same face through.
    expect(requireSingleFace(r, { minFaceSize: 32, minWorkingFaceSize: 32 }).score).toBeGreaterThan(0.5);
  });

  it('LOW_QUALITY for a blurred face found only under a lowered detector threshold', async () => {
    const img = await decode(fx.blurred);
    const strict = await pool.describe({ image: copy(img), detector: 'tiny' }); // default threshold 0.5
    expect(strict.faces).toHaveLength(0);
    const lenient = await pool.describe({ image: img, detector: 'tiny', minScore: 0.25 });
    expect(lenient.faces).toHaveLength(1);
    console.log(`[quality] blurred face score (tiny): ${lenient.faces[0]!.score.toFixed(3)}`);
    expect(() => requireSingleFace(lenient)).toThrowError(
      expect.objectContaining({ reason: 'LOW_QUALITY', kind: 'unprocessable' }),
    );
  });
});

async function distances(detector: DetectorKind) {
  const one = async (file: string) => single(await pool.describe({ image: await decode(file), detector }));
  // In chunks of 4 (2 running + 2 queued): the pool's queue holds 4, firing 20 at once would
  // (rightly) be refused with INFERENCE_QUEUE_FULL.
  const all = async <T, R>(items: T[], f: (x: T) => Promise<R>): Promise<R[]> => {
    const out: R[] = [];
    for (let i = 0; i < items.length; i += 4) out.push(...(await Promise.all(items.slice(i, i + 4).map(f))));
    return out;
  };
  const base = await one(fx.people[0]!.file);
  const genuine: Record<string, number> = {};
  const variantDescriptors = await all(fx.variants, (v) => one(v.file));
  for (const [i, v] of fx.variants.entries())
    genuine[v.kind] = descriptorDistance(base, variantDescriptors[i]!);
  const people = await all(fx.people, async (p) => ({ id: p.id, d: await one(p.file) }));
  const impostor: Array<{ pair: string; samePhoto: boolean; distance: number }> = [];
  for (let i = 0; i < people.length; i++) {
    for (let j = i + 1; j < people.length; j++) {
      const [a, b] = [people[i]!, people[j]!];
      impostor.push({
        pair: `${a.id}/${b.id}`,
        samePhoto: a.id.split('-')[0] === b.id.split('-')[0],
        distance: descriptorDistance(a.d, b.d),
      });
    }
  }
  impostor.sort((a, b) => a.distance - b.distance);
  console.log(
    `[distances ${detector}] genuine`,
    Object.fromEntries(Object.entries(genuine).map(([k, v]) => [k, +v.toFixed(3)])),
  );
  console.log(
    `[distances ${detector}] impostor n=${impostor.length} min=${impostor[0]!.distance.toFixed(3)} (${impostor[0]!.pair})`,
    `median=${impostor[impostor.length >> 1]!.distance.toFixed(3)} max=${impostor.at(-1)!.distance.toFixed(3)}`,
    'lowest:',
    impostor.slice(0, 4).map((x) => `${x.pair}=${x.distance.toFixed(3)}`),
  );
  expect(Object.keys(genuine).sort()).toEqual([
    'exif-rotated',
    'flipped',
    'gif',
    'jpeg-q60',
    'png-alpha',
    'resized',
    'webp',
  ]);
  expect(people.length).toBeGreaterThanOrEqual(10);
  return { genuine, impostor };
}

describe('descriptor distances', () => {
  it('ssd (the enrollment/verify detector): genuine variants below 0.5, every impostor pair above it', async () => {
    const { genuine, impostor } = await distances('ssd');
    for (const [kind, d] of Object.entries(genuine)) expect(d, kind).toBeLessThan(0.5);
    for (const x of impostor) expect(x.distance, x.pair).toBeGreaterThan(0.5);
  });

  it('tiny: genuine variants below 0.5, impostors from the same photo above it (cross-photo minimum reported)', async () => {
    const { genuine, impostor } = await distances('tiny');
    for (const [kind, d] of Object.entries(genuine)) expect(d, kind).toBeLessThan(0.5);
    // Across photos tiny measured one pair at 0.491 (s1-f1/s2-f2; ssd: 0.503) — see docs/inference.md.
    for (const x of impostor.filter((i) => i.samePhoto)) expect(x.distance, x.pair).toBeGreaterThan(0.5);
  });
});

describe('analyze', () => {
  it('returns expressions and, on request, age and gender', async () => {
    const r = await pool.analyze({
      image: await decode(fx.people[0]!.file),
      detector: 'tiny',
      withAgeGender: true,
    });
    expect(r.faces).toHaveLength(1);
    const f = r.faces[0]!;
    const total = Object.values(f.expressions).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 2);
    expect(f.age).toBeGreaterThan(5);
    expect(f.age).toBeLessThan(90);
    expect(['male', 'female']).toContain(f.gender);
    const noAge = await pool.analyze({ image: await decode(fx.people[0]!.file), detector: 'tiny' });
    expect(noAge.faces[0]!.age).toBeUndefined();
  });
});

describe('queue, deadlines and crashes', () => {
  it('answers INFERENCE_QUEUE_FULL instead of growing the queue', async () => {
    const img = await decode(fx.people[0]!.file);
    const accepted = Array.from({ length: 6 }, () => pool.describe({ image: copy(img), detector: 'tiny' })); // 2 running + 4 queued
    expect(pool.stats().queued).toBe(4);
    const before = pool.stats().rejectedQueueFull;
    const e = await domainRejection(pool.describe({ image: copy(img), detector: 'tiny' }));
    expect([e.kind, e.reason]).toEqual(['exhausted', 'INFERENCE_QUEUE_FULL']);
    expect(e.retryAfterMs).toBeGreaterThan(0);
    expect(pool.stats().queued).toBe(4);
    expect(pool.stats().rejectedQueueFull).toBe(before + 1);
    const done = await Promise.all(accepted);
    expect(done.every((r) => r.faces.length === 1)).toBe(true);
  });

  it('drops a queued request whose caller aborted; it never runs', async () => {
    const img = await decode(fx.group.file);
    const start = pool.stats();
    const blockers = [
      pool.describe({ image: copy(img), detector: 'ssd' }),
      pool.describe({ image: copy(img), detector: 'ssd' }),
    ];
    const controller = new AbortController();
    const queued = pool.describe({ image: copy(img), detector: 'ssd' }, { signal: controller.signal });
    expect(pool.stats().queued).toBe(1);
    const reason = new Error('client went away');
    controller.abort(reason);
    expect(await rejection(queued)).toBe(reason);
    expect(pool.stats().queued).toBe(0);
    await Promise.all(blockers);
    const end = pool.stats();
    expect(end.droppedBeforeRun - start.droppedBeforeRun).toBe(1);
    expect(end.dispatched - start.dispatched).toBe(2); // the aborted job was never handed to a worker

    const pre = new AbortController();
    pre.abort(reason);
    expect(
      await rejection(pool.describe({ image: copy(img), detector: 'tiny' }, { signal: pre.signal })),
    ).toBe(reason);
  });

  it('answers a caller who leaves mid-inference at once and discards the result', async () => {
    const img = await decode(fx.group.file);
    const start = pool.stats();
    const controller = new AbortController();
    const running = pool.describe({ image: copy(img), detector: 'ssd' }, { signal: controller.signal });
    expect(pool.stats().busyWorkers).toBeGreaterThan(0);
    controller.abort(new Error('gone'));
    expect(((await rejection(running)) as Error).message).toBe('gone');
    expect(pool.stats().abandonedWhileRunning - start.abandonedWhileRunning).toBe(1);
    // The worker finishes the discarded job and serves the next one.
    await expect.poll(() => pool.stats().busyWorkers, { timeout: 60_000 }).toBe(0);
    expect(
      (await pool.describe({ image: await decode(fx.people[0]!.file), detector: 'tiny' })).faces,
    ).toHaveLength(1);
  });

  it('drops a queued request whose deadline passed (INFERENCE_TIMEOUT)', async () => {
    const img = await decode(fx.group.file);
    const start = pool.stats();
    const blockers = [
      pool.describe({ image: copy(img), detector: 'ssd' }),
      pool.describe({ image: copy(img), detector: 'ssd' }),
    ];
    const e = await domainRejection(pool.describe({ image: copy(img), detector: 'ssd' }, { timeoutMs: 5 }));
    expect(e.reason).toBe('INFERENCE_TIMEOUT');
    await Promise.all(blockers);
    expect(pool.stats().dispatched - start.dispatched).toBe(2);
    expect(pool.stats().droppedBeforeRun - start.droppedBeforeRun).toBe(1);
  });

  it('rejects malformed requests before queueing', async () => {
    const e = await domainRejection(
      pool.describe({ image: { pixels: new Uint8Array(10), width: 4, height: 4 }, detector: 'tiny' }),
    );
    expect([e.kind, e.reason]).toEqual(['invalid', 'INVALID_INFERENCE_REQUEST']);
    const img = await decode(fx.people[0]!.file);
    expect(
      (await domainRejection(pool.describe({ image: img, detector: 'tiny', inputSize: 100 }))).reason,
    ).toBe('INVALID_INFERENCE_REQUEST');
  });

  it('replaces a crashed worker; its in-flight request fails with INFERENCE_WORKER_CRASHED', async () => {
    const img = await decode(fx.people[0]!.file);
    const restarts = pool.stats().workerRestarts;
    pool.crashWorkerForTest(0);
    const e = await domainRejection(pool.describe({ image: copy(img), detector: 'tiny' }));
    expect([e.kind, e.reason]).toEqual(['unavailable', 'INFERENCE_WORKER_CRASHED']);
    await expect.poll(() => pool.stats().workerRestarts, { timeout: 60_000 }).toBe(restarts + 1);
    // Both workers serve again.
    const [a, b] = await Promise.all([
      pool.describe({ image: copy(img), detector: 'tiny' }),
      pool.describe({ image: copy(img), detector: 'tiny' }),
    ]);
    expect([a.faces.length, b.faces.length]).toEqual([1, 1]);
    await expect.poll(() => pool.stats().busyWorkers + pool.stats().workers, { timeout: 60_000 }).toBe(2);
  });
});
