/**
 * Calibration of the face-matching thresholds from real photos:
 *   npx tsx apps/biometrics/test/calibration.ts [LFW_DIR] [--fresh]
 * (default LFW_DIR ../shared/datasets/lfw-dev). Writes apps/biometrics/src/services/calibration.json;
 * apps/biometrics/docs/matching.md explains the method and its limits.
 *
 * Every photo of the dev set goes through the shipped pipeline twice (test/lfw/extract.ts): with the
 * Enroll detector (templates) and with the Verify detector (probes), largest face per photo. Then:
 * - genuine  = every ordered pair (template of photo i, probe of photo j) of two DIFFERENT photos of
 *   the same person; impostor = every such pair of two different people. Photos with no face found
 *   are left out of the pairs and counted (failure to acquire);
 * - the threshold at FMR p is the distance below which floor(p·M) of the M impostor pairs fall, with
 *   that count and its Clopper–Pearson 95% interval (computed as if pairs were independent; they are
 *   not — one person appears in many — so read the interval as a lower bound on the uncertainty);
 * - the impostor tail [log10 FMR, distance] for 1:N thresholds, measured while >= 10 impostors fall
 *   below and extrapolated (straight line in log10 FMR fitted on the measured points from 1e-3 down)
 *   below that;
 * - the confidence anchors (FMR 1e-5 -> 80, 1e-4 -> 70, 1e-3 -> 60, median impostor -> 20) and the
 *   enrollment consistency limit (FMR 1e-2);
 * - the quality gates' data: detection-score and face-size distributions and genuine refusals by score.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cascadeName } from '../src/services/face-pipeline.js';
import { FACEAPI_MODEL_ID } from '../src/services/template.js';
import { DEFAULT_LFW_DIR, loadLfw } from './lfw/dataset.js';
import { extractShipped } from './lfw/extract.js';
import { clopperPearson, countAtOrBelow, thresholdAtFmr } from './lfw/metrics.js';
import { allPairs, multiSampleRun } from './lfw/pairs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const outFile = path.resolve(here, '../src/services/calibration.json');
const args = process.argv.slice(2);
const dir = path.resolve(args.find((a) => !a.startsWith('--')) ?? DEFAULT_LFW_DIR);
const started = Date.now();

const set = await loadLfw(dir);
const shipped = await extractShipped(set.images, {
  workers: 2,
  fresh: args.includes('--fresh'),
  log: (l) => console.log(l),
});
const { verify, enroll } = shipped;
const scored = allPairs(set, enroll.photos, verify.photos, true);
const genuine = scored.genuine.filter(Number.isFinite);
const impostor = scored.impostor.filter(Number.isFinite);
const M = impostor.length;
const round = (x: number, d = 4) => Number(x.toFixed(d));
const quantile = (sorted: Float64Array, p: number) => sorted[Math.floor(p * (sorted.length - 1))]!;
const fnmrAt = (t: number) => 1 - countAtOrBelow(genuine, t) / genuine.length;

function level(fmr: number) {
  const distance = thresholdAtFmr(impostor, fmr);
  const below = countAtOrBelow(impostor, distance);
  const [lo, hi] = clopperPearson(below, M);
  return {
    distance: round(distance),
    impostorsBelow: below,
    impostorPairs: M,
    observedFmr: below / M,
    fmrCi95: [lo, hi],
    fnmr: round(fnmrAt(distance), 5),
  };
}
const thresholds = { '1e-3': level(1e-3), '1e-4': level(1e-4), '1e-5': level(1e-5) };

// Impostor tail for 1:N: measured points every 0.25 decade while >= 10 impostors fall below.
const measured: Array<{ log10Fmr: number; distance: number; impostorsBelow: number; source: string }> = [];
for (let x = -0.5; 10 ** x * M >= 10; x -= 0.25) {
  const distance = thresholdAtFmr(impostor, 10 ** x);
  measured.unshift({
    log10Fmr: round(x, 2),
    distance: round(distance),
    impostorsBelow: countAtOrBelow(impostor, distance),
    source: 'measured',
  });
}
// Least-squares line distance = a + b·log10(FMR) over the measured points at FMR <= 1e-3.
const fitPts = measured.filter((p) => p.log10Fmr <= -3);
const mx = fitPts.reduce((s, p) => s + p.log10Fmr, 0) / fitPts.length;
const my = fitPts.reduce((s, p) => s + p.distance, 0) / fitPts.length;
const b =
  fitPts.reduce((s, p) => s + (p.log10Fmr - mx) * (p.distance - my), 0) /
  fitPts.reduce((s, p) => s + (p.log10Fmr - mx) ** 2, 0);
const a = my - b * mx;
const strictest = measured[0]!;
const extrapolated = [];
for (let x = Math.ceil(strictest.log10Fmr) - 1; x >= -10; x--) {
  // Never above the strictest measured point: the line is only used where it keeps the order.
  const distance = Math.max(0.01, Math.min(a + b * x, strictest.distance - 1e-4 * (strictest.log10Fmr - x)));
  extrapolated.unshift({ log10Fmr: x, distance: round(distance), source: 'extrapolated' });
}
const impostorTail = [...extrapolated, ...measured];

// Quality-gate data: per verify photo with a face, its score and size; genuine refusals by score bin.
const person = set.images.map((im) => im.person);
const verifyT = thresholds['1e-3'].distance;
const bins = [0.5, 0.6, 0.7, 0.8, 0.9, 1.01];
const byScore = bins.slice(0, -1).map((lo, i) => ({ lo, hi: bins[i + 1]!, photos: 0, pairs: 0, refused: 0 }));
const unit = (v: Float32Array) => {
  const n = Math.hypot(...v);
  return Array.from(v, (x) => x / n);
};
const templates = enroll.photos.map((p) => (p.descriptor ? unit(p.descriptor) : undefined));
verify.photos.forEach((p, j) => {
  if (!p.descriptor || p.score === undefined) return;
  const bin = byScore.find((x) => p.score! >= x.lo && p.score! < x.hi);
  if (!bin) return;
  bin.photos++;
  const probe = unit(p.descriptor);
  templates.forEach((t, i) => {
    if (!t || i === j || person[i] !== person[j]) return;
    bin.pairs++;
    if (Math.hypot(...t.map((x, k) => x - probe[k]!)) > verifyT) bin.refused++;
  });
});
const facesOf = (e: typeof verify) => e.photos.filter((p) => p.descriptor);
const dist = (xs: number[]) => {
  const s = Float64Array.from(xs).sort();
  return {
    p1: round(quantile(s, 0.01), 3),
    p5: round(quantile(s, 0.05), 3),
    p50: round(quantile(s, 0.5), 3),
  };
};

// Templates from k photos (the mean of k unit descriptors) lie closer to every face, impostors
// included: at the 1-photo threshold a 3-photo template false-matches ~3.7x as often. Per k, the
// distance offset that brings FMR back to 1e-3, measured on people with more than max(3, k) photos
// (the same probes for every k <= that), made non-increasing in k.
const templateSamples = [
  { samples: 1, offset: 0, templates: 0, genuineProbes: genuine.length, fnmrAt1e3: thresholds['1e-3'].fnmr },
];
for (let k = 2; k <= 5; k++) {
  const max = Math.max(3, k);
  const one = multiSampleRun(set, enroll.photos, verify.photos, 1, max);
  const many = multiSampleRun(set, enroll.photos, verify.photos, k, max);
  const t = thresholdAtFmr(many.impostor, 1e-3);
  const measured = t - thresholdAtFmr(one.impostor, 1e-3);
  const offset = Math.min(measured, templateSamples.at(-1)!.offset);
  const fnmr = 1 - countAtOrBelow(many.genuine, t) / many.genuine.length;
  templateSamples.push({
    samples: k,
    offset: round(offset),
    templates: many.templates,
    genuineProbes: many.genuine.length,
    fnmrAt1e3: round(fnmr, 4),
  });
}

const consistency = level(1e-2);
const medianImpostor = quantile(impostor, 0.5);
const calibration = {
  modelId: FACEAPI_MODEL_ID,
  generatedAt: new Date().toISOString(),
  generator: 'apps/biometrics/test/calibration.ts',
  distance: 'euclidean distance between L2-normalised descriptors (= sqrt(2 - 2·cosine))',
  method:
    'genuine = ordered pairs (Enroll-detector template of photo i, Verify-detector probe of photo j) of two different photos of one person; impostor = the same over photos of two different people; threshold at FMR p = distance below which floor(p·M) of the M impostor pairs fall (empirical, with a Clopper–Pearson 95% interval treating pairs as independent)',
  data: {
    source: `Labeled Faces in the Wild, dev set (${path.relative(process.cwd(), dir) || dir}): photos and people as listed below; no image is part of the project`,
    photos: set.images.length,
    people: set.byPerson.size,
    peopleWithTwoOrMorePhotos: [...set.byPerson.values()].filter((l) => l.length > 1).length,
    pipeline: `template: ${cascadeName(shipped.options.detectors.enroll)}; probe: ${cascadeName(shipped.options.detectors.verify)} (tried in order until one finds a face); 68 landmarks; FaceRecognitionNet on ${shipped.options.align === 'eyes' ? 'eye-aligned' : 'upright'} chips${shipped.options.mirror ? ', averaged with the mirrored chip' : ''}; largest face per photo; ${shipped.backend} backend`,
    noFaceTemplates: enroll.photos.length - facesOf(enroll).length,
    noFaceProbes: verify.photos.length - facesOf(verify).length,
    genuinePairs: genuine.length,
    impostorPairs: M,
  },
  genuine: {
    mean: round(genuine.reduce((s, x) => s + x, 0) / genuine.length),
    p50: round(quantile(genuine, 0.5)),
    p90: round(quantile(genuine, 0.9)),
    p97: round(quantile(genuine, 0.97)),
    p99: round(quantile(genuine, 0.99)),
    max: round(genuine.at(-1)!),
  },
  impostor: {
    min: round(impostor[0]!),
    p1: round(quantile(impostor, 0.01)),
    p50: round(medianImpostor),
    mean: round(impostor.reduce((s, x) => s + x, 0) / M),
  },
  thresholds,
  impostorTail,
  tailFit: {
    note: 'distance = a + b·log10(FMR), fitted on the measured points at FMR <= 1e-3',
    a: round(a),
    b: round(b),
  },
  templateSamples: {
    note: 'distance offset added to every threshold for a template made of `samples` photos (1:N uses the 5-photo one); fnmrAt1e3 = FNMR at FMR 1e-3 with that template size',
    bySamples: templateSamples,
  },
  identify: {
    fpir: 1e-3,
    rule: 'per-comparison FMR = 1 - (1 - FPIR)^(1/N) for a gallery of N templates; distance from impostorTail; never looser than the Verify threshold',
  },
  enrollmentConsistency: {
    distance: consistency.distance,
    rule: 'FMR 1e-2 threshold: every pair of enrollment samples must be this close',
    observedFmr: consistency.observedFmr,
    fnmr: consistency.fnmr,
  },
  qualityGates: {
    verifyScore: dist(facesOf(verify).map((p) => p.score!)),
    enrollScore: dist(facesOf(enroll).map((p) => p.score!)),
    verifyFaceSide: dist(facesOf(verify).map((p) => p.faceSide!)),
    genuineRefusedByVerifyScore: byScore.map((x) => ({
      ...x,
      fnmr: x.pairs ? round(x.refused / x.pairs, 4) : null,
    })),
  },
  confidenceAnchors: [
    [0, 100],
    [thresholds['1e-5'].distance, 80],
    [thresholds['1e-4'].distance, 70],
    [thresholds['1e-3'].distance, 60],
    [round(medianImpostor), 20],
    [2, 0],
  ],
  defaults: { verify: '1e-3' },
  elapsedSeconds: Math.round((Date.now() - started) / 1000),
};
writeFileSync(outFile, JSON.stringify(calibration, null, 2) + '\n');
console.log(JSON.stringify({ ...calibration, impostorTail: undefined }, null, 2));
console.log(`wrote ${outFile}`);
