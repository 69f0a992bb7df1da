/**
 * Scan kernels for the 1:N face index, as a tiny WebAssembly module using 128-bit SIMD (supported by
 * Node 20's V8 without flags). The module is assembled here from opcodes so that nothing is fetched or
 * compiled at build time; it is validated by WebAssembly.validate and by the index's unit tests against
 * a plain-JS reference.
 *
 * Exports (all take byte offsets into the imported memory; rows are 128 values each):
 * - scan_i8(q, probe16, scales, out, rows): out[r] = scales[r] · Σ q[r][i]·probe16[i]
 *   (q: int8 rows, probe16: 128 int16, scales/out: float32) — the quantised first pass.
 * - scan_f32(m, probe, unused, out, rows): out[r] = Σ m[r][i]·probe[i] (float32 rows) — exact scores.
 */

const DIM = 128;

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};
const str = (s: string): number[] => [...uleb(s.length), ...Array.from(Buffer.from(s, 'utf8'))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

// opcodes
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_GE_U = 0x4f;
const F32_LOAD = 0x2a;
const F32_STORE = 0x38;
const F32_MUL = 0x94;
const F32_ADD = 0x92;
const F32_CONVERT_I32_S = 0xb2;
const BLOCK = 0x02;
const LOOP = 0x03;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const I32 = 0x7f;
const V128 = 0x7b;
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const V128_LOAD = (offset: number) => simd(0x00, 4, ...uleb(offset)); // align 2^4
const V128_LOAD8X8_S = (offset: number) => simd(0x01, 3, ...uleb(offset)); // align 2^3
const I32X4_EXTRACT_LANE = (lane: number) => simd(0x1b, lane);
const F32X4_EXTRACT_LANE = (lane: number) => simd(0x1f, lane);
const I32X4_ADD = simd(0xae);
const I32X4_DOT_I16X8_S = simd(0xba);
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);

/** Balanced-tree sum of `n` terms produced by `term(i)`, so independent products can run in parallel. */
function treeSum(lo: number, hi: number, term: (i: number) => number[], add: number[]): number[] {
  if (hi - lo === 1) return term(lo);
  const mid = (lo + hi) >> 1;
  return [...treeSum(lo, mid, term, add), ...treeSum(mid, hi, term, add), ...add];
}

// params: 0 rowPtr, 1 probePtr, 2 scalesPtr, 3 outPtr, 4 rows; locals: 5 r (i32), 6 acc (v128)
const P_ROW = 0;
const P_PROBE = 1;
const P_SCALES = 2;
const P_OUT = 3;
const P_ROWS = 4;
const L_R = 5;
const L_ACC = 6;

function loopBody(rowBytes: number, computeScore: number[], advanceScales: boolean): number[] {
  const inc = (local: number, by: number) => [
    LOCAL_GET,
    local,
    I32_CONST,
    ...sleb(by),
    I32_ADD,
    LOCAL_SET,
    local,
  ];
  return [
    BLOCK,
    VOID,
    LOOP,
    VOID,
    LOCAL_GET,
    L_R,
    LOCAL_GET,
    P_ROWS,
    I32_GE_U,
    BR_IF,
    1,
    LOCAL_GET,
    P_OUT,
    ...computeScore,
    F32_STORE,
    2,
    0,
    ...inc(P_ROW, rowBytes),
    ...(advanceScales ? inc(P_SCALES, 4) : []),
    ...inc(P_OUT, 4),
    ...inc(L_R, 1),
    BR,
    0,
    END,
    END,
  ];
}

function scanI8(): number[] {
  // 16 chunks of 8 int8 (sign-extended to i16x8) · 8 int16 of the probe -> i32x4 partial sums
  const dots = treeSum(
    0,
    DIM / 8,
    (c) => [
      LOCAL_GET,
      P_ROW,
      ...V128_LOAD8X8_S(c * 8),
      LOCAL_GET,
      P_PROBE,
      ...V128_LOAD(c * 16),
      ...I32X4_DOT_I16X8_S,
    ],
    I32X4_ADD,
  );
  const score = [
    ...dots,
    LOCAL_TEE,
    L_ACC,
    ...I32X4_EXTRACT_LANE(0),
    LOCAL_GET,
    L_ACC,
    ...I32X4_EXTRACT_LANE(1),
    I32_ADD,
    LOCAL_GET,
    L_ACC,
    ...I32X4_EXTRACT_LANE(2),
    I32_ADD,
    LOCAL_GET,
    L_ACC,
    ...I32X4_EXTRACT_LANE(3),
    I32_ADD,
    F32_CONVERT_I32_S,
    LOCAL_GET,
    P_SCALES,
    F32_LOAD,
    2,
    0,
    F32_MUL,
  ];
  const body = [
    ...vec([
      [1, I32],
      [1, V128],
    ]),
    ...loopBody(DIM, score, true),
    END,
  ];
  return [...uleb(body.length), ...body];
}

function scanF32(): number[] {
  const prods = treeSum(
    0,
    DIM / 4,
    (c) => [LOCAL_GET, P_ROW, ...V128_LOAD(c * 16), LOCAL_GET, P_PROBE, ...V128_LOAD(c * 16), ...F32X4_MUL],
    F32X4_ADD,
  );
  const score = [
    ...prods,
    LOCAL_TEE,
    L_ACC,
    ...F32X4_EXTRACT_LANE(0),
    LOCAL_GET,
    L_ACC,
    ...F32X4_EXTRACT_LANE(1),
    F32_ADD,
    LOCAL_GET,
    L_ACC,
    ...F32X4_EXTRACT_LANE(2),
    F32_ADD,
    LOCAL_GET,
    L_ACC,
    ...F32X4_EXTRACT_LANE(3),
    F32_ADD,
  ];
  const body = [
    ...vec([
      [1, I32],
      [1, V128],
    ]),
    ...loopBody(DIM * 4, score, false),
    END,
  ];
  return [...uleb(body.length), ...body];
}

/** The module's bytes. `shared` makes it import a shared memory (for worker threads). */
export function kernelModuleBytes(shared = false, maxPages = 65536): Uint8Array {
  const type = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0x00];
  const memLimits = shared ? [0x03, ...uleb(1), ...uleb(maxPages)] : [0x00, ...uleb(1)];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([type])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, ...memLimits]])),
    ...section(3, vec([[0], [0]])),
    ...section(
      7,
      vec([
        [...str('scan_i8'), 0x00, 0],
        [...str('scan_f32'), 0x00, 1],
      ]),
    ),
    ...section(10, vec([scanI8(), scanF32()])),
  ];
  return Uint8Array.from(bytes);
}

export interface KernelExports {
  scan_i8(rowPtr: number, probePtr: number, scalesPtr: number, outPtr: number, rows: number): void;
  scan_f32(rowPtr: number, probePtr: number, unused: number, outPtr: number, rows: number): void;
}

/** The few WebAssembly JS-API members used here (the project's TS lib has no DOM/WebAssembly typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
type WasmModule = object;
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** A WebAssembly memory of at least `bytes` bytes. */
export function createMemory(bytes: number, shared = false, maxPages = 65536): WasmMemory {
  const initial = Math.max(1, Math.ceil(bytes / 65536));
  return shared
    ? new wasmApi.Memory({ initial, maximum: maxPages, shared: true })
    : new wasmApi.Memory({ initial });
}

export const validateKernel = (shared = false): boolean => wasmApi.validate(kernelModuleBytes(shared));

let compiled: WasmModule | undefined;
let compiledShared: WasmModule | undefined;

/** Compiles (once) and instantiates the kernels over `memory`. Throws if the engine lacks SIMD. */
export function instantiateKernel(memory: WasmMemory, shared = false): KernelExports {
  let mod = shared ? compiledShared : compiled;
  if (!mod) {
    mod = new wasmApi.Module(kernelModuleBytes(shared));
    if (shared) compiledShared = mod;
    else compiled = mod;
  }
  const instance = new wasmApi.Instance(mod, { env: { memory } });
  return instance.exports as KernelExports;
}
