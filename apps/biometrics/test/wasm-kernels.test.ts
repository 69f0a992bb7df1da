/**
 * The faster wasm Concat/Slice (src/repositories/inference/wasm-kernels.ts) against the stock
 * tfjs-backend-wasm kernels: the same values, bit for bit, on the shapes face-api produces and on
 * random ones; cases they do not target still go through the stock kernels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  installFastWasmKernels,
  loadBackend,
  uninstallFastWasmKernels,
  type FaceApi,
} from '../src/repositories/inference/index.js';

type Tf = FaceApi['tf'] & {
  getKernel(name: string, backend: string): { kernelFunc: unknown } | undefined;
};
let faceapi: FaceApi;
let tf: Tf;

beforeAll(async () => {
  faceapi = (await loadBackend('wasm')).faceapi;
  tf = faceapi.tf as Tf;
}, 120_000);

afterAll(() => {
  installFastWasmKernels(faceapi); // leave the process as loadBackend set it up
});

/** Deterministic pseudo-random numbers (no flaky shapes). */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const int = (rnd: () => number, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

type Case = () => { dispose(): void; dataSync(): ArrayLike<number>; shape: number[]; dtype: string };

const runAll = (cases: Case[]) =>
  cases.map((make) => {
    const t = make();
    const out = { shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) };
    t.dispose();
    return out;
  });

/** Runs every case with the stock kernels, then with the fast ones; returns both results. */
function runBoth(cases: Case[]) {
  uninstallFastWasmKernels(faceapi);
  const stock = runAll(cases);
  expect(installFastWasmKernels(faceapi)).toEqual(['Concat', 'Slice']);
  return { stock, fast: runAll(cases) };
}

/** Input values are drawn once, so the stock and the fast run see the same tensors. */
function input(rnd: () => number, shape: number[], dtype: 'float32' | 'int32' | 'bool') {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, () =>
    dtype === 'float32' ? rnd() * 200 - 100 : dtype === 'int32' ? int(rnd, -1000, 1000) : int(rnd, 0, 1),
  );
  return () => tf.tensor(values, shape, dtype);
}

const concatOf =
  (parts: Array<() => ReturnType<Tf['tensor']>>, axis: number): Case =>
  () =>
    tf.concat(
      parts.map((make) => make()),
      axis,
    );
const sliceOf =
  (x: () => ReturnType<Tf['tensor']>, begin: number[], size: number[]): Case =>
  () =>
    tf.slice(x(), begin, size);

describe('fast wasm kernels', () => {
  it('are what the wasm backend runs after loadBackend, and can be put back', () => {
    const fastConcat = tf.getKernel('Concat', 'wasm')!.kernelFunc;
    uninstallFastWasmKernels(faceapi);
    const stockConcat = tf.getKernel('Concat', 'wasm')!.kernelFunc;
    expect(stockConcat).not.toBe(fastConcat);
    expect(installFastWasmKernels(faceapi)).toEqual(['Concat', 'Slice']);
    expect(installFastWasmKernels(faceapi)).toEqual([]); // once per tfjs instance
    expect(tf.getKernel('Concat', 'wasm')!.kernelFunc).not.toBe(stockConcat);
  });

  it("Concat: face-api's channel re-assembly and random shapes give the stock kernel's values", () => {
    const rnd = random(42);
    const cases: Case[] = [
      // normalize(): three [1,h,w,1] channels back into [1,h,w,3]
      concatOf(
        [0, 1, 2].map(() => input(rnd, [1, 37, 29, 1], 'float32')),
        3,
      ),
      concatOf([input(rnd, [4, 1], 'int32'), input(rnd, [4, 40], 'int32')], 1), // short + long rows
      concatOf([input(rnd, [3, 50], 'float32'), input(rnd, [3, 64], 'float32')], 1), // long: stock path
      concatOf([input(rnd, [2, 3, 2], 'bool'), input(rnd, [2, 3, 5], 'bool')], -1),
      concatOf([input(rnd, [0, 3], 'float32'), input(rnd, [2, 3], 'float32')], 0), // an empty part
      concatOf([input(rnd, [2, 0], 'float32'), input(rnd, [2, 3], 'float32')], 1),
    ];
    for (let i = 0; i < 40; i++) {
      const rank = int(rnd, 1, 4);
      const shape = Array.from({ length: rank }, () => int(rnd, 1, 6));
      const axis = int(rnd, 0, rank - 1);
      const parts = int(rnd, 2, 4);
      const dtype = (['float32', 'int32', 'bool'] as const)[int(rnd, 0, 2)]!;
      const shapes = Array.from({ length: parts }, () =>
        shape.map((d, k) => (k === axis ? int(rnd, 1, 5) : d)),
      );
      cases.push(
        concatOf(
          shapes.map((s) => input(rnd, s, dtype)),
          axis,
        ),
      );
    }
    const { stock, fast } = runBoth(cases);
    expect(fast).toEqual(stock);
  });

  it("Slice: face crops out of an HWC image and random windows give the stock kernel's values", () => {
    const rnd = random(7);
    const cases: Case[] = [
      sliceOf(input(rnd, [64, 55, 3], 'int32'), [10, 9, 0], [31, 31, 3]), // a face crop
      sliceOf(input(rnd, [1, 20, 30, 3], 'float32'), [0, 2, 3, 1], [1, 5, 6, 2]),
      sliceOf(input(rnd, [6, 70], 'float32'), [1, 3], [4, 60]), // long runs
      sliceOf(input(rnd, [5, 4, 3], 'float32'), [2, 0, 0], [2, 4, 3]), // contiguous: stock path
      sliceOf(input(rnd, [3, 4, 5, 2, 3], 'bool'), [1, 1, 2, 0, 1], [2, 2, 3, 2, 2]), // rank 5
      sliceOf(input(rnd, [4, 5], 'int32'), [1, 1], [0, 3]), // empty
    ];
    for (let i = 0; i < 60; i++) {
      const rank = int(rnd, 2, 4);
      const shape = Array.from({ length: rank }, () => int(rnd, 1, 7));
      const begin = shape.map((d) => int(rnd, 0, d - 1));
      const size = shape.map((d, k) => int(rnd, 1, d - begin[k]!));
      const dtype = (['float32', 'int32', 'bool'] as const)[int(rnd, 0, 2)]!;
      cases.push(sliceOf(input(rnd, shape, dtype), begin, size));
    }
    const { stock, fast } = runBoth(cases);
    expect(fast).toEqual(stock);
  });
});
