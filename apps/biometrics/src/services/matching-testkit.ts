/** Seeded random vectors for the matching / template / index unit tests and the bench (no I/O). */
import { DESCRIPTOR_LENGTH } from './matching-vectors.js';

/** mulberry32: small, fast, seeded PRNG returning [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal via Box–Muller. */
export function gaussian(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A random unit vector (uniform on the sphere), optionally scaled (face-api descriptors have norm ~1.45). */
export function randomUnitVector(rand: () => number, scale = 1, dim = DESCRIPTOR_LENGTH): Float32Array {
  const v = new Float64Array(dim);
  let s = 0;
  // Box–Muller, both outputs of each pair
  for (let i = 0; i < dim; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const a = 2 * Math.PI * rand();
    v[i] = r * Math.cos(a);
    if (i + 1 < dim) v[i + 1] = r * Math.sin(a);
  }
  for (let i = 0; i < dim; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  return Float32Array.from(v, (x) => (x / n) * scale);
}

/**
 * A vector at (approximately) euclidean distance `distance` from the unit vector `base`, after
 * normalisation: base·cos θ + u·sin θ with u a random unit vector orthogonal to base.
 */
export function vectorAtDistance(
  rand: () => number,
  base: Float32Array,
  distance: number,
  scale = 1,
): Float32Array {
  const dim = base.length;
  const u = randomUnitVector(rand, 1, dim);
  let d = 0;
  for (let i = 0; i < dim; i++) d += u[i]! * base[i]!;
  let s = 0;
  const o = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    o[i] = u[i]! - d * base[i]!;
    s += o[i]! * o[i]!;
  }
  const on = Math.sqrt(s);
  const cos = 1 - (distance * distance) / 2;
  const sin = Math.sqrt(Math.max(0, 1 - cos * cos));
  return Float32Array.from(base, (b, i) => (b * cos + (o[i]! / on) * sin) * scale);
}
