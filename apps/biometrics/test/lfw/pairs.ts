/**
 * Distances over the dev set: LFW's protocol pairs, every pair of photos (genuine = same person,
 * different photos; impostor = different people), and a 1:N gallery run. Templates come from one
 * extraction (`a`) and probes from another (`b`); a photo with no face gives distance Infinity.
 */
import type { LfwSet } from './dataset.js';
import type { PhotoResult } from './extract.js';
import type { ScoredPair } from './metrics.js';

/** Rows of unit (or raw) descriptors; `present[i]` false where no face was found. */
function matrix(photos: readonly PhotoResult[], normalise: boolean) {
  // Descriptor length: 128 for face-api; other models differ.
  const DIM = photos.find((p) => p.descriptor)?.descriptor?.length ?? 128;
  const m = new Float32Array(photos.length * DIM);
  const present = photos.map((p) => Boolean(p.descriptor));
  photos.forEach((p, i) => {
    const d = p.descriptor;
    if (!d) return;
    const n = normalise ? Math.hypot(...d) : 1;
    for (let k = 0; k < DIM; k++) m[i * DIM + k] = d[k]! / n;
  });
  return { m, present, dim: DIM };
}

type Matrix = ReturnType<typeof matrix>;

function distance(a: Matrix, i: number, b: Matrix, j: number): number {
  let s = 0;
  const dim = a.dim;
  const oi = i * dim;
  const oj = j * dim;
  const am = a.m;
  const bm = b.m;
  for (let k = 0; k < dim; k++) {
    const d = am[oi + k]! - bm[oj + k]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

export function protocolPairs(
  set: LfwSet,
  a: readonly PhotoResult[],
  b: readonly PhotoResult[],
  normalise: boolean,
): ScoredPair[] {
  const A = matrix(a, normalise);
  const B = matrix(b, normalise);
  return set.pairs.map((p) => ({
    same: p.same,
    fold: p.fold,
    distance: A.present[p.a] && B.present[p.b] ? distance(A, p.a, B, p.b) : Infinity,
  }));
}

export interface Scored {
  /** Ascending distances. */
  genuine: Float64Array;
  impostor: Float64Array;
}

/**
 * Every ordered pair (template i from `a`, probe j from `b`, i != j); when `a` and `b` are the same
 * extraction each unordered pair once.
 */
export function allPairs(
  set: LfwSet,
  a: readonly PhotoResult[],
  b: readonly PhotoResult[],
  normalise: boolean,
): Scored {
  const A = matrix(a, normalise);
  const B = a === b ? A : matrix(b, normalise);
  const person = set.images.map((im) => im.person);
  const genuine: number[] = [];
  const n = set.images.length;
  const impostor = new Float64Array(a === b ? (n * (n - 1)) / 2 : n * (n - 1));
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = a === b ? i + 1 : 0; j < n; j++) {
      if (i === j) continue;
      const d = A.present[i] && B.present[j] ? distance(A, i, B, j) : Infinity;
      if (person[i] === person[j]) genuine.push(d);
      else impostor[k++] = d;
    }
  }
  return { genuine: Float64Array.from(genuine).sort(), impostor: impostor.subarray(0, k).sort() };
}

export interface GalleryAt {
  /** Genuine probes whose nearest template is their own identity, within the threshold. */
  rank1: number;
  /** Same, and no other identity within the threshold (the face sign-in rule). */
  signIn: number;
  /** Probes whose identity is left out of the gallery that still match someone within it. */
  impostorAccepted: number;
  impostorAcceptedCount: number;
}

/**
 * 1:N: each identity enrolled from its first photo with a face (`a`); every other photo of it is a
 * genuine probe (`b`). Every photo is also an impostor probe against the gallery without its own
 * identity (as if that person had never enrolled). No face in a probe = not identified.
 */
export function galleryRun(set: LfwSet, a: readonly PhotoResult[], b: readonly PhotoResult[]) {
  const A = matrix(a, true);
  const B = matrix(b, true);
  const gallery: Array<{ person: string; row: number }> = [];
  for (const [person, images] of set.byPerson) {
    const first = images.find((im) => A.present[im.index]);
    if (first) gallery.push({ person, row: first.index });
  }
  const enrolledRow = new Map(gallery.map((g) => [g.person, g.row]));
  // Per probe: best own distance, best other distance, second-best other distance.
  const probes = set.images.map((im) => {
    if (!B.present[im.index]) return { genuine: false, own: Infinity, other: Infinity, other2: Infinity };
    let own = Infinity;
    let other = Infinity;
    let other2 = Infinity;
    for (const g of gallery) {
      const d = distance(A, g.row, B, im.index);
      if (g.person === im.person) own = d;
      else if (d < other) [other, other2] = [d, other];
      else if (d < other2) other2 = d;
    }
    const row = enrolledRow.get(im.person);
    return { genuine: row !== undefined && row !== im.index, own, other, other2 };
  });
  const genuineProbes = set.images.filter((im) => {
    const row = enrolledRow.get(im.person);
    return row !== undefined && row !== im.index;
  }).length;
  return {
    gallerySize: gallery.length,
    genuineProbes,
    impostorProbes: set.images.length,
    at(t: number): GalleryAt {
      let rank1 = 0;
      let signIn = 0;
      let impostorAcceptedCount = 0;
      for (const p of probes) {
        if (p.genuine && p.own <= t && p.own < p.other) {
          rank1++;
          if (p.other > t) signIn++;
        }
        if (p.other <= t) impostorAcceptedCount++;
      }
      return {
        rank1: rank1 / genuineProbes,
        signIn: signIn / genuineProbes,
        impostorAccepted: impostorAcceptedCount / set.images.length,
        impostorAcceptedCount,
      };
    },
  };
}

/**
 * Templates from several enrollment photos: for every person with more than `samples` photos with a
 * face, template = normalised mean of the first `samples` of them (`a`), probes = that person's other
 * photos after the first `maxSamples` (`b`, so every template size meets the same probes); impostors
 * = the template against every photo of other people. Distances ascending.
 */
export function multiSampleRun(
  set: LfwSet,
  a: readonly PhotoResult[],
  b: readonly PhotoResult[],
  samples: number,
  maxSamples: number,
): Scored & { templates: number } {
  const A = matrix(a, true);
  const B = matrix(b, true);
  const dim = A.dim;
  const genuine: number[] = [];
  const impostor: number[] = [];
  let templates = 0;
  for (const [person, images] of set.byPerson) {
    const withFace = images.filter((im) => A.present[im.index] && B.present[im.index]);
    if (withFace.length <= maxSamples) continue;
    const t = new Float32Array(dim);
    for (const im of withFace.slice(0, samples))
      for (let k = 0; k < dim; k++) t[k]! += A.m[im.index * dim + k]!;
    const n = Math.hypot(...t);
    const T = { m: t.map((x) => x / n), present: [true], dim };
    templates++;
    for (const im of withFace.slice(maxSamples)) genuine.push(distance(T, 0, B, im.index));
    for (const im of set.images)
      if (im.person !== person && B.present[im.index]) impostor.push(distance(T, 0, B, im.index));
  }
  return {
    templates,
    genuine: Float64Array.from(genuine).sort(),
    impostor: Float64Array.from(impostor).sort(),
  };
}
