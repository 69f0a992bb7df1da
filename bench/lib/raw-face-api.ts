/**
 * The benchmarks' baseline: face-api called directly (`verify-raw-worker.ts`, no pool code) in `n`
 * worker threads, one image per idle worker, the rest waiting in order. Each call sends a copy of
 * the pixels, so one decoded image can be reused. `fastKernels`: with the wasm Concat/Slice the
 * service installs (apps/biometrics/src/repositories/inference/wasm-kernels.ts) instead of stock.
 */
import { Worker } from 'node:worker_threads';
import type { DetectorKind } from '../../apps/biometrics/src/repositories/inference/index.js';
import type { DecodedImage } from '../../apps/biometrics/src/services/image-intake.js';

export interface RawFaceApi {
  /** Resolves with the number of faces found. */
  run(image: DecodedImage, detector: DetectorKind): Promise<number>;
  /** face-api's `detectSingleFace().withFaceLandmarks().withFaceDescriptor()` with its defaults. */
  describeSingle(image: DecodedImage): Promise<Float32Array | undefined>;
  close(): Promise<void>;
}

interface Answer {
  id: number;
  faces: number;
  descriptor?: Float32Array;
}

export async function startRawFaceApi(
  n: number,
  options: { fastKernels?: boolean } = {},
): Promise<RawFaceApi> {
  const entry = new URL('../../apps/biometrics/src/repositories/inference/worker-entry.mjs', import.meta.url);
  const workers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Worker>((resolve, reject) => {
          const w = new Worker(entry, {
            workerData: {
              entry: new URL('./verify-raw-worker.ts', import.meta.url).href,
              fastKernels: options.fastKernels ?? false,
            },
            execArgv: [],
          });
          w.once('message', () => resolve(w));
          w.once('error', reject);
        }),
    ),
  );
  const idle = [...workers];
  const waiting: Array<() => void> = [];
  const pending = new Map<number, (answer: Answer) => void>();
  let nextId = 1;
  for (const w of workers) {
    w.on('message', (m: Answer) => {
      pending.get(m.id)?.(m);
      pending.delete(m.id);
      idle.push(w);
      waiting.shift()?.();
    });
  }
  const send = async (image: DecodedImage, detector: DetectorKind, single: boolean) => {
    while (idle.length === 0) await new Promise<void>((r) => waiting.push(r));
    const w = idle.pop()!;
    const id = nextId++;
    const pixels = image.pixels.slice();
    return new Promise<Answer>((resolve) => {
      pending.set(id, resolve);
      w.postMessage({ id, pixels, width: image.width, height: image.height, detector, single }, [
        pixels.buffer as ArrayBuffer,
      ]);
    });
  };
  return {
    async run(image, detector) {
      return (await send(image, detector, false)).faces;
    },
    async describeSingle(image) {
      return (await send(image, 'ssd', true)).descriptor;
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
