/**
 * In-memory 1:N index of face templates (one per user).
 *
 * Storage: a contiguous row-major Float32Array matrix of L2-normalised 128-d vectors (capacity grows by
 * doubling), row <-> userId maps, removal by swapping the last row into the hole. Alongside it, a
 * per-row int8 quantisation (scale = max|x|/127) lives in WebAssembly memory.
 *
 * Search: a WebAssembly SIMD pass computes approximate dot products from the int8 rows for every row;
 * a row can only be in the exact top-k (or within the threshold) if its approximate score is within a
 * proven error bound of the cut-off, so only those candidates are re-scored exactly from the float32
 * matrix. The returned top-k is therefore exact (same result as a float32 brute-force scan), not an
 * approximation. On unit vectors distance² = 2 − 2·dot, so ranking by dot is ranking by distance.
 * Without WebAssembly SIMD the index falls back to an exact plain-JS scan.
 */
import { DomainError } from '@guardian/domain';
import { identifyThreshold, distanceToConfidence, resolveThreshold, type FmrLevel } from './matching.js';
import {
  assertSameModel,
  DESCRIPTOR_LENGTH,
  distanceFromDot,
  normalizeDescriptor,
} from './matching-vectors.js';
import { createMemory, instantiateKernel, type KernelExports, type WasmMemory } from './face-index-kernel.js';

const DIM = DESCRIPTOR_LENGTH;
/** Float slack added to the quantisation bound (f32 rounding of the scaled score). */
const SLACK = 1e-5;

export interface IndexHit {
  userId: string;
  distance: number;
  confidence: number;
}

export interface FaceIndexOptions {
  modelId: string;
  /** Rows allocated up front (default 1024); grows by doubling. */
  initialCapacity?: number;
  /** 'auto' (default): WebAssembly SIMD int8 pass + exact re-rank; 'exact': plain-JS float32 scan only. */
  mode?: 'auto' | 'exact';
}

export interface SearchOptions {
  /** A user left out of the results (the enrolling user in the duplicate-account check). */
  excludeUserId?: string;
  /** Model of the probe; must equal the index's model when given. */
  modelId?: string;
  /** Skip the quantised pass and score every row exactly in JS (reference / verification). */
  exact?: boolean;
}

export interface SearchStats {
  /** Rows re-scored exactly after the quantised pass (equals size in exact mode). */
  candidates: number;
  mode: 'wasm-int8' | 'exact';
}

interface WasmState {
  memory: WasmMemory;
  kernel: KernelExports;
  probePtr: number;
  scoresPtr: number;
  scalesPtr: number;
  qPtr: number;
  probe16: Int16Array;
  scores: Float32Array;
  scales: Float32Array;
  q: Int8Array;
}

function allocateWasm(capacity: number): WasmState {
  const probePtr = 0;
  const scoresPtr = 1024;
  const scalesPtr = scoresPtr + capacity * 4;
  const qPtr = scalesPtr + capacity * 4;
  const bytes = qPtr + capacity * DIM;
  const memory = createMemory(bytes);
  const kernel = instantiateKernel(memory);
  return {
    memory,
    kernel,
    probePtr,
    scoresPtr,
    scalesPtr,
    qPtr,
    probe16: new Int16Array(memory.buffer, probePtr, DIM),
    scores: new Float32Array(memory.buffer, scoresPtr, capacity),
    scales: new Float32Array(memory.buffer, scalesPtr, capacity),
    q: new Int8Array(memory.buffer, qPtr, capacity * DIM),
  };
}

/** Quantises a unit vector to int8 with scale max|x|/127; returns the scale and the residual norm. */
function quantize(
  v: Float32Array,
  out: Int8Array | Int16Array,
  offset: number,
): { scale: number; residual: number } {
  let max = 0;
  for (let i = 0; i < DIM; i++) max = Math.max(max, Math.abs(v[i]!));
  const scale = max / 127;
  let r2 = 0;
  for (let i = 0; i < DIM; i++) {
    const qi = Math.round(v[i]! / scale);
    out[offset + i] = qi;
    const e = v[i]! - Math.fround(scale) * qi;
    r2 += e * e;
  }
  return { scale: Math.fround(scale), residual: Math.sqrt(r2) };
}

export class FaceIndex {
  readonly modelId: string;
  private capacityRows: number;
  private count = 0;
  private matrix: Float32Array;
  private ids: string[] = [];
  private readonly rowOf = new Map<string, number>();
  private wasm: WasmState | undefined;
  /** Largest quantisation residual norm of any row ever stored (a conservative global bound). */
  private maxResidual = 0;
  /** Statistics of the last search (for tests and metrics). */
  lastSearch: SearchStats = { candidates: 0, mode: 'exact' };

  constructor(options: FaceIndexOptions) {
    this.modelId = options.modelId;
    this.capacityRows = Math.max(16, Math.floor(options.initialCapacity ?? 1024));
    this.matrix = new Float32Array(this.capacityRows * DIM);
    if (options.mode !== 'exact') {
      try {
        this.wasm = allocateWasm(this.capacityRows);
      } catch {
        this.wasm = undefined; // no WebAssembly SIMD: exact JS scan
      }
    }
  }

  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.capacityRows;
  }

  get mode(): 'wasm-int8' | 'exact' {
    return this.wasm ? 'wasm-int8' : 'exact';
  }

  has(userId: string): boolean {
    return this.rowOf.has(userId);
  }

  /** Approximate bytes held by the vectors (float32 matrix + wasm memory). */
  get vectorBytes(): number {
    return this.matrix.byteLength + (this.wasm?.memory.buffer.byteLength ?? 0);
  }

  /** Copy of the stored (normalised) vector of a user. */
  get(userId: string): Float32Array | undefined {
    const row = this.rowOf.get(userId);
    return row === undefined ? undefined : this.matrix.slice(row * DIM, (row + 1) * DIM);
  }

  userIds(): string[] {
    return this.ids.slice(0, this.count);
  }

  private grow(): void {
    const next = this.capacityRows * 2;
    const m = new Float32Array(next * DIM);
    m.set(this.matrix.subarray(0, this.count * DIM));
    this.matrix = m;
    if (this.wasm) {
      const w = allocateWasm(next);
      w.q.set(this.wasm.q.subarray(0, this.count * DIM));
      w.scales.set(this.wasm.scales.subarray(0, this.count));
      this.wasm = w;
    }
    this.capacityRows = next;
  }

  /** Inserts or replaces the template of a user. The vector is L2-normalised here. */
  upsert(userId: string, vector: ArrayLike<number>, modelId: string): void {
    assertSameModel(this.modelId, modelId);
    if (typeof userId !== 'string' || userId.length === 0)
      throw new DomainError('invalid', 'BAD_USER_ID', 'userId must be a non-empty string');
    const v = normalizeDescriptor(vector, 'template');
    let row = this.rowOf.get(userId);
    if (row === undefined) {
      if (this.count === this.capacityRows) this.grow();
      row = this.count++;
      this.rowOf.set(userId, row);
      this.ids[row] = userId;
    }
    this.matrix.set(v, row * DIM);
    if (this.wasm) {
      const { scale, residual } = quantize(v, this.wasm.q, row * DIM);
      this.wasm.scales[row] = scale;
      this.maxResidual = Math.max(this.maxResidual, residual);
    }
  }

  /** Removes a user; the last row moves into its place. Returns false when the user was not indexed. */
  remove(userId: string): boolean {
    const row = this.rowOf.get(userId);
    if (row === undefined) return false;
    const last = this.count - 1;
    if (row !== last) {
      const movedId = this.ids[last]!;
      this.matrix.copyWithin(row * DIM, last * DIM, (last + 1) * DIM);
      if (this.wasm) {
        this.wasm.q.copyWithin(row * DIM, last * DIM, (last + 1) * DIM);
        this.wasm.scales[row] = this.wasm.scales[last]!;
      }
      this.ids[row] = movedId;
      this.rowOf.set(movedId, row);
    }
    this.ids.length = last;
    this.rowOf.delete(userId);
    this.count = last;
    return true;
  }

  clear(): void {
    this.count = 0;
    this.ids = [];
    this.rowOf.clear();
    this.maxResidual = 0;
  }

  private exactDot(row: number, p: Float32Array): number {
    const m = this.matrix;
    const base = row * DIM;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < DIM; i += 4) {
      s0 += m[base + i]! * p[i]!;
      s1 += m[base + i + 1]! * p[i + 1]!;
      s2 += m[base + i + 2]! * p[i + 2]!;
      s3 += m[base + i + 3]! * p[i + 3]!;
    }
    return s0 + s1 + s2 + s3;
  }

  /**
   * The k nearest users within `threshold` (a distance, or an FMR level; default: the 1:N threshold
   * for the current number of templates, `identifyThreshold`), nearest first. Exact: equal to a
   * brute-force float32 scan.
   */
  search(
    probe: ArrayLike<number>,
    k = 5,
    threshold: number | FmrLevel = identifyThreshold(this.count),
    options: SearchOptions = {},
  ): IndexHit[] {
    if (options.modelId !== undefined) assertSameModel(this.modelId, options.modelId);
    if (!Number.isInteger(k) || k < 1 || k > 1000)
      throw new DomainError('invalid', 'BAD_K', 'k must be an integer in 1..1000');
    const t = resolveThreshold(threshold);
    const p = normalizeDescriptor(probe, 'probe');
    const minDot = 1 - (t * t) / 2;
    const exclude = options.excludeUserId === undefined ? -1 : (this.rowOf.get(options.excludeUserId) ?? -1);
    const n = this.count;
    if (n === 0) {
      this.lastSearch = { candidates: 0, mode: this.mode };
      return [];
    }

    const useWasm = this.wasm !== undefined && options.exact !== true;
    let hits: { row: number; dot: number }[];
    if (useWasm) {
      const candidates = this.candidatesWasm(this.wasm!, p, k, minDot, exclude);
      hits = this.exactTopK(p, k, minDot, exclude, candidates.length, (i) => candidates[i]!);
      this.lastSearch = { candidates: candidates.length, mode: 'wasm-int8' };
    } else {
      hits = this.exactTopK(p, k, minDot, exclude, n, (i) => i);
      this.lastSearch = { candidates: n, mode: 'exact' };
    }
    return hits.map(({ row, dot }) => {
      const distance = distanceFromDot(dot);
      return { userId: this.ids[row]!, distance, confidence: distanceToConfidence(distance) };
    });
  }

  /** Exact top-k (dot descending, then row ascending) over `count` rows given by `rowAt`, with dot >= minDot. */
  private exactTopK(
    p: Float32Array,
    k: number,
    minDot: number,
    exclude: number,
    count: number,
    rowAt: (i: number) => number,
  ) {
    const top: { row: number; dot: number }[] = [];
    let worst = minDot;
    for (let i = 0; i < count; i++) {
      const row = rowAt(i);
      if (row === exclude) continue;
      const d = this.exactDot(row, p);
      if (d < worst || (top.length === k && d === worst && row > top[k - 1]!.row)) continue;
      let j = top.length < k ? top.length : k - 1;
      if (top.length < k) top.push({ row, dot: d });
      while (j > 0 && (top[j - 1]!.dot < d || (top[j - 1]!.dot === d && top[j - 1]!.row > row))) {
        top[j] = top[j - 1]!;
        j--;
      }
      top[j] = { row, dot: d };
      if (top.length === k) worst = top[k - 1]!.dot;
    }
    return top;
  }

  /**
   * Rows whose exact dot product could be among the top k with dot >= minDot.
   * approx = sp·scores[r] with |exact − approx| <= B = E + (1 + E)·ep (E: largest row residual norm,
   * ep: probe residual norm; Cauchy–Schwarz on x = sx·qx + ex, p = sp·qp + ep, |x| = |p| = 1).
   * If a_k is the k-th best approximate score, the exact k-th best is >= a_k − B, so any row of the
   * exact top-k has approx >= a_k − 2B; and any row with exact >= minDot has approx >= minDot − B.
   */
  private candidatesWasm(
    w: WasmState,
    p: Float32Array,
    k: number,
    minDot: number,
    exclude: number,
  ): number[] {
    const n = this.count;
    const { scale: sp, residual: ep } = quantize(p, w.probe16, 0);
    w.kernel.scan_i8(w.qPtr, w.probePtr, w.scalesPtr, w.scoresPtr, n);
    const scores = w.scores;
    if (exclude >= 0) scores[exclude] = -Infinity;
    const E = this.maxResidual;
    const bound = E + (1 + E) * ep + SLACK;
    // raw score units (scores[r] = approx / sp)
    const floorRaw = (minDot - bound) / sp;

    // pass 1: k-th best raw score among rows above the threshold floor (tiny sorted buffer, descending)
    const top = new Float64Array(k).fill(-Infinity);
    let worst = floorRaw;
    let filled = 0;
    for (let r = 0; r < n; r++) {
      const s = scores[r]!;
      if (s > worst) {
        let i = filled < k ? filled++ : k - 1;
        while (i > 0 && top[i - 1]! < s) {
          top[i] = top[i - 1]!;
          i--;
        }
        top[i] = s;
        if (filled === k) worst = top[k - 1]!;
      }
    }
    let cutoff = floorRaw;
    if (filled === k) cutoff = Math.max(floorRaw, top[k - 1]! - (2 * bound) / sp);

    // pass 2: every row at or above the cut-off
    const out: number[] = [];
    for (let r = 0; r < n; r++) if (scores[r]! >= cutoff) out.push(r);
    return out;
  }
}
