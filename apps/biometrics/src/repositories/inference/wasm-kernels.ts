/**
 * Faster copies of two tfjs-backend-wasm kernels that face-api leans on.
 *
 * tfjs-backend-wasm 4.22 implements Concat and Slice in JavaScript, copying one innermost row at a
 * time through `subarray()` + `set()`. That is fine for long rows and pathological for short ones:
 * face-api normalises every network input by splitting the channels and concatenating them back on
 * the last axis (rows of ONE element: 520k `subarray` calls for a 416 px detector input), and it
 * cuts face crops out of an HWC image (rows of three). Measured on a 512 px probe, those two kernels
 * were about a third of a Verify's inference time (docs/inference.md).
 *
 * The replacements compute exactly the same output (they only move values; a test compares them with
 * the stock kernels on many shapes) and hand every case they do not target back to the stock kernel.
 */
import type { FaceApi } from './backend.js';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type TypedArray = Float32Array | Int32Array | Uint8Array;
interface WasmBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): TypedArray;
}
interface KernelArgs {
  inputs: Record<string, TensorInfo> | TensorInfo[];
  backend: WasmBackend;
  attrs: Record<string, unknown>;
}
type KernelFunc = (args: KernelArgs) => TensorInfo | TensorInfo[];
interface KernelConfig {
  kernelName: string;
  backendName: string;
  kernelFunc: KernelFunc;
}
interface KernelRegistry {
  getKernel(name: string, backend: string): KernelConfig | undefined;
  unregisterKernel(name: string, backend: string): void;
  registerKernel(config: KernelConfig): void;
  util: {
    sizeFromShape(shape: number[]): number;
    parseAxisParam(axis: unknown, shape: number[]): number[];
    computeStrides(shape: number[]): number[];
  };
  backend_util: {
    assertParamsConsistent(shapes: number[][], axis: number): void;
    computeOutShape(shapes: number[][], axis: number): number[];
  };
  slice_util: {
    parseSliceParams(x: TensorInfo, begin: unknown, size: unknown): [number[], number[]];
    isSliceContinous(shape: number[], begin: number[], size: number[]): boolean;
  };
}

/** Below this many elements per contiguous run, an element loop beats `subarray()` + `set()`. */
const SHORT_RUN = 32;

function copyRun(src: TypedArray, from: number, dst: TypedArray, to: number, length: number): void {
  if (length >= SHORT_RUN) dst.set(src.subarray(from, from + length), to);
  else for (let i = 0; i < length; i++) dst[to + i] = src[from + i]!;
}

function fastConcat(tf: KernelRegistry, stock: KernelFunc): KernelFunc {
  return (args) => {
    const inputs = args.inputs as TensorInfo[];
    const first = inputs[0];
    if (!first || first.dtype === 'string') return stock(args);
    const axis = tf.util.parseAxisParam(args.attrs.axis, first.shape)[0]!;
    const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    const innerSizes = parts.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    // Long rows are what the stock kernel is good at; leave them (and trivial cases) to it.
    if (parts.length < 2 || innerSizes.every((n) => n >= SHORT_RUN)) return stock(args);
    const shapes = inputs.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, axis);
    const outShape = tf.backend_util.computeOutShape(shapes, axis);
    const { backend } = args;
    const out = backend.makeOutput(outShape, first.dtype);
    // Views are taken after makeOutput: allocating may grow (and detach) the wasm heap.
    const sources = parts.map((t) => backend.typedArrayFromHeap(t));
    const target = backend.typedArrayFromHeap(out);
    const rows = tf.util.sizeFromShape(parts[0]!.shape.slice(0, axis));
    const rowLength = innerSizes.reduce((sum, n) => sum + n, 0);
    let offset = 0;
    sources.forEach((source, p) => {
      const n = innerSizes[p]!;
      if (n === 1) for (let row = 0; row < rows; row++) target[row * rowLength + offset] = source[row]!;
      else for (let row = 0; row < rows; row++) copyRun(source, row * n, target, row * rowLength + offset, n);
      offset += n;
    });
    return out;
  };
}

function fastSlice(tf: KernelRegistry, stock: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (!x || x.dtype === 'string') return stock(args);
    const [begin, size] = tf.slice_util.parseSliceParams(x, args.attrs.begin, args.attrs.size);
    const { shape } = x;
    const rank = shape.length;
    if (rank < 2 || tf.slice_util.isSliceContinous(shape, begin, size)) return stock(args);
    if (tf.util.sizeFromShape(size) === 0) return stock(args);
    // `last`: the innermost axis the slice does not take whole. Everything inside it is one
    // contiguous run per index of the axes before it.
    let last = rank - 1;
    while (last > 0 && begin[last] === 0 && size[last] === shape[last]) last--;
    const strides = [...tf.util.computeStrides(shape), 1];
    const run = size[last]! * strides[last]!;
    const { backend } = args;
    const out = backend.makeOutput(size, x.dtype);
    const source = backend.typedArrayFromHeap(x);
    const target = backend.typedArrayFromHeap(out);
    const index = new Array<number>(last).fill(0);
    const runs = tf.util.sizeFromShape(size.slice(0, last));
    let at = 0;
    for (let r = 0; r < runs; r++) {
      let from = begin[last]! * strides[last]!;
      for (let axis = 0; axis < last; axis++) from += (begin[axis]! + index[axis]!) * strides[axis]!;
      copyRun(source, from, target, at, run);
      at += run;
      for (let axis = last - 1; axis >= 0; axis--) {
        if (++index[axis]! < size[axis]!) break;
        index[axis] = 0;
      }
    }
    return out;
  };
}

/** Per tfjs instance: the stock kernels replaced, to put back. */
const stockKernels = new WeakMap<object, KernelConfig[]>();

const REPLACEMENTS = [
  ['Concat', fastConcat],
  ['Slice', fastSlice],
] as const;

/**
 * Replaces the wasm backend's Concat and Slice with the faster copies (once per tfjs instance).
 * Returns the names of the kernels replaced.
 */
export function installFastWasmKernels(faceapi: FaceApi): string[] {
  const tf = faceapi.tf as unknown as KernelRegistry;
  if (stockKernels.has(tf)) return [];
  const replaced: KernelConfig[] = [];
  for (const [name, make] of REPLACEMENTS) {
    const stock = tf.getKernel(name, 'wasm');
    if (!stock) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(tf, stock.kernelFunc) });
    replaced.push(stock);
  }
  stockKernels.set(tf, replaced);
  return replaced.map((k) => k.kernelName);
}

/** Puts the stock kernels back (tests compare against stock face-api with it). */
export function uninstallFastWasmKernels(faceapi: FaceApi): void {
  const tf = faceapi.tf as unknown as KernelRegistry;
  for (const stock of stockKernels.get(tf) ?? []) {
    tf.unregisterKernel(stock.kernelName, 'wasm');
    tf.registerKernel(stock);
  }
  stockKernels.delete(tf);
}
