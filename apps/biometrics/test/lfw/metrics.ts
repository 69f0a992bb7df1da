/**
 * Verification statistics over scored pairs (distance: smaller = more alike; a pair whose face was not
 * found has distance Infinity, so it is always decided "different" and counts against genuine pairs).
 * Used by bench/lfw.ts and the calibration script.
 */

export interface ScoredPair {
  distance: number;
  same: boolean;
  fold: number;
}

/** Accuracy of the threshold `t` (same when distance <= t) over pairs. */
export function accuracyAt(pairs: readonly ScoredPair[], t: number): number {
  let right = 0;
  for (const p of pairs) if (p.distance <= t === p.same) right++;
  return pairs.length ? right / pairs.length : 0;
}

/** The threshold with the best accuracy on `pairs` (midpoint between neighbouring distances). */
export function bestThreshold(pairs: readonly ScoredPair[]): number {
  const finite = pairs.map((p) => p.distance).filter(Number.isFinite);
  const sorted = [...new Set(finite)].sort((a, b) => a - b);
  const candidates = [
    0,
    ...sorted.slice(0, -1).map((d, i) => (d + sorted[i + 1]!) / 2),
    (sorted.at(-1) ?? 0) + 1e-6,
  ];
  let best = candidates[0]!;
  let bestAcc = -1;
  for (const t of candidates) {
    const acc = accuracyAt(pairs, t);
    if (acc > bestAcc) [best, bestAcc] = [t, acc];
  }
  return best;
}

/** LFW protocol: per fold, the threshold is chosen on the other folds; accuracy mean and sd. */
export function foldAccuracy(pairs: readonly ScoredPair[], folds: number) {
  const accs: number[] = [];
  const thresholds: number[] = [];
  for (let k = 0; k < folds; k++) {
    const t = bestThreshold(pairs.filter((p) => p.fold !== k));
    thresholds.push(t);
    accs.push(
      accuracyAt(
        pairs.filter((p) => p.fold === k),
        t,
      ),
    );
  }
  const mean = accs.reduce((s, x) => s + x, 0) / accs.length;
  const sd = Math.sqrt(accs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, accs.length - 1));
  return { mean, sd, accs, thresholds };
}

/** Ascending copy of the finite values (Infinity kept at the end). */
export const sortedDistances = (xs: ArrayLike<number>): Float64Array => Float64Array.from(xs).sort();

/** How many of the ascending `sorted` values are <= t (binary search). */
export function countAtOrBelow(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The largest threshold whose false-match rate over the ascending impostor distances is <= fmr: just
 * below the (floor(fmr·M)+1)-th smallest impostor distance, so exactly floor(fmr·M) impostors pass.
 */
export function thresholdAtFmr(impostors: Float64Array, fmr: number): number {
  const k = Math.floor(fmr * impostors.length);
  const next = impostors[k];
  if (next === undefined) return impostors.at(-1) ?? 0;
  const prev = k > 0 ? impostors[k - 1]! : 0;
  // Halfway between the last accepted and the first refused impostor, never above the refused one.
  return k > 0 ? (prev + next) / 2 : next * 0.999;
}

/** True accept rate at the threshold where the false accept rate is `far`. */
export function tarAtFar(genuine: Float64Array, impostors: Float64Array, far: number) {
  const t = thresholdAtFmr(impostors, far);
  return { threshold: t, tar: countAtOrBelow(genuine, t) / genuine.length };
}

/** Equal error rate: where FNMR (genuine > t) and FMR (impostor <= t) cross. */
export function equalErrorRate(genuine: Float64Array, impostors: Float64Array) {
  let lo = 0;
  let hi = 2;
  for (let i = 0; i < 60; i++) {
    const t = (lo + hi) / 2;
    const fnmr = 1 - countAtOrBelow(genuine, t) / genuine.length;
    const fmr = countAtOrBelow(impostors, t) / impostors.length;
    if (fnmr > fmr) lo = t;
    else hi = t;
  }
  const t = (lo + hi) / 2;
  const fnmr = 1 - countAtOrBelow(genuine, t) / genuine.length;
  const fmr = countAtOrBelow(impostors, t) / impostors.length;
  return { eer: (fnmr + fmr) / 2, threshold: t };
}

/** Regularised incomplete beta via continued fraction (Numerical Recipes' betacf), for Clopper–Pearson. */
function betacf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-12) break;
  }
  return h;
}

function logGamma(x: number): number {
  const g = [
    76.18009172947146, -86.50532032941678, 24.01409824083091, -1.231739572450155, 0.001208650973866179,
    -0.5395239384953e-5,
  ];
  let y = x;
  const tmp = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let ser = 1.000000000190015;
  for (const c of g) ser += c / ++y;
  return -tmp + Math.log((Math.sqrt(2 * Math.PI) * ser) / x);
}

/** I_x(a, b), the regularised incomplete beta function. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const bt = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (bt * betacf(a, b, x)) / a : 1 - (bt * betacf(b, a, 1 - x)) / b;
}

/** Quantile of Beta(a, b) by bisection. */
function betaQuantile(p: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (incompleteBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Exact (Clopper–Pearson) 95% interval of a rate k/n, as if the n trials were independent. */
export function clopperPearson(k: number, n: number, level = 0.95): [number, number] {
  const alpha = 1 - level;
  const lower = k === 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1);
  const upper = k === n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k);
  return [lower, upper];
}
