/**
 * Calibration of the face-matching thresholds (run: `npx tsx apps/biometrics/test/calibration.ts`).
 *
 * Computes face-api descriptors (SSD MobileNet v1 + 68 landmarks + FaceRecognitionNet, wasm backend)
 * for every face in every demo photo shipped with @vladmandic/face-api and for augmented variants of
 * each face, then estimates the distance thresholds at FMR 1e-3 / 1e-4 / 1e-5 and the FNMR at each.
 * Writes apps/biometrics/src/services/calibration.json. See apps/biometrics/docs/matching.md for the
 * method and, above all, its limits.
 *
 * Ground truth:
 * - genuine pair  = two descriptors of the same detected face (original photo or any augmented variant);
 * - impostor pair = descriptors of two different faces. Faces in the same photo are different people.
 *   Faces in different photos could be the same person (the demo set looks like one photographer's
 *   work); every cross-photo face pair whose original descriptors are closer than CROSS_PHOTO_SUSPECT
 *   (normalised distance) is listed for a human to inspect (crops written with --crops <dir>). Pairs
 *   judged to be one person go into SAME_PERSON and are dropped from the impostor set. A sensitivity
 *   run that drops every suspect is stored as well.
 *
 * --cache <file.json> stores the descriptors (and reuses them when the file exists), so the statistics
 * can be recomputed without running the networks again.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp, { type Sharp } from 'sharp';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the CJS node-wasm build has no ESM types we can import here
const faceapi: any = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths: (prefix: string) => void };

const here = path.dirname(fileURLToPath(import.meta.url));
const outFile = path.resolve(here, '../src/services/calibration.json');
const faceApiDir = path.dirname(require.resolve('@vladmandic/face-api/package.json'));
const modelDir = path.join(faceApiDir, 'model');
const demoDir = path.join(faceApiDir, 'demo');
const PHOTOS = [1, 2, 3, 4, 5, 6].map((i) => `sample${i}.jpg`);
const MODEL_ID = `faceapi-${faceapi.version as string}/facerecognitionnet`;
const CROSS_PHOTO_SUSPECT = 0.45;
/**
 * Cross-photo face pairs judged to be the same person. Empty: on 2026-11-21 the crops of all 22 faces
 * were laid out side by side and the closest suspect pairs (s1f2~s4f3, s1f1~s2f0, s1f2~s4f0,
 * s2f2~s4f0, s1f2~s2f2, s3f2~s4f3, s2f0~s4f1) compared at 300 px: all visibly different people.
 */
const SAME_PERSON = new Set<string>([]);
const FMRS = [1e-3, 1e-4, 1e-5] as const;
const argValue = (name: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const cropsDir = argValue('--crops');
const cacheFile = argValue('--cache');
/** Genuine-pair quantile used as the enrollment consistency limit. */
const CONSISTENCY_GENUINE_QUANTILE = 0.995;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Face {
  id: string; // "s<photo>f<index>"
  photo: number;
  box: Box;
  score: number;
  descriptors: { variant: string; raw: Float32Array; unit: Float32Array }[];
}

const l2 = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const unit = (v: Float32Array): Float32Array => {
  const n = l2(v);
  return Float32Array.from(v, (x) => x / n);
};
const dist = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
};

async function init(): Promise<void> {
  wasm.setWasmPaths(
    path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/',
  );
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
}

interface Detected {
  box: Box;
  score: number;
  descriptor: Float32Array;
}

async function detect(image: Buffer): Promise<Detected[]> {
  const { data, info } = await sharp(image)
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const tensor = faceapi.tf.tensor3d(new Int32Array(data), [info.height, info.width, 3], 'int32');
  try {
    const res = await faceapi
      .detectAllFaces(tensor, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 20 }))
      .withFaceLandmarks()
      .withFaceDescriptors();
    return (res as { detection: { box: Box; score: number }; descriptor: Float32Array }[]).map((r) => ({
      box: {
        x: r.detection.box.x,
        y: r.detection.box.y,
        width: r.detection.box.width,
        height: r.detection.box.height,
      },
      score: r.detection.score,
      descriptor: r.descriptor,
    }));
  } finally {
    tensor.dispose();
  }
}

/** A square crop around the face: side = box size × (1 + 2·margin), centre shifted by (dx, dy)·box size. */
async function crop(
  photo: Buffer,
  meta: { width: number; height: number },
  box: Box,
  margin: number,
  dx = 0,
  dy = 0,
) {
  const size = Math.max(box.width, box.height);
  const side = Math.round(size * (1 + 2 * margin));
  const cx = box.x + box.width / 2 + dx * size;
  const cy = box.y + box.height / 2 + dy * size;
  let left = Math.round(cx - side / 2);
  let top = Math.round(cy - side / 2);
  // extend with black where the square leaves the photo, so the face stays where we expect it
  const padLeft = Math.max(0, -left);
  const padTop = Math.max(0, -top);
  const padRight = Math.max(0, left + side - meta.width);
  const padBottom = Math.max(0, top + side - meta.height);
  left += padLeft;
  top += padTop;
  const img = await sharp(photo)
    .extract({ left, top, width: side - padLeft - padRight, height: side - padTop - padBottom })
    .extend({ left: padLeft, top: padTop, right: padRight, bottom: padBottom, background: '#000000' })
    .png()
    .toBuffer();
  // where the face centre is inside the crop (relative 0..1)
  return { img, side, faceSize: size, centre: { x: 0.5 - dx * (size / side), y: 0.5 - dy * (size / side) } };
}

interface Variant {
  name: string;
  make: (
    photo: Buffer,
    meta: { width: number; height: number },
    box: Box,
  ) => Promise<{ img: Buffer; centre: { x: number; y: number }; faceFrac: number }>;
}

const simple =
  (margin: number, post: (s: Sharp, side: number) => Sharp, dx = 0, dy = 0): Variant['make'] =>
  async (photo, meta, box) => {
    const c = await crop(photo, meta, box, margin, dx, dy);
    const img = await post(sharp(c.img), c.side).toBuffer();
    return { img, centre: c.centre, faceFrac: c.faceSize / c.side };
  };
const jpeg = (q: number) => (s: Sharp) => s.jpeg({ quality: q });

const VARIANTS: Variant[] = [
  { name: 'crop-m0.35', make: simple(0.35, (s) => s.png()) },
  { name: 'crop-m0.6', make: simple(0.6, (s) => s.png()) },
  { name: 'crop-m1.0', make: simple(1.0, (s) => s.png()) },
  { name: 'crop-offset', make: simple(0.8, (s) => s.png(), 0.35, -0.25) },
  { name: 'flip', make: simple(0.6, (s) => s.flop().png()) },
  { name: 'rot+7', make: simple(0.6, (s) => s.rotate(7, { background: '#000' }).png()) },
  { name: 'rot-7', make: simple(0.6, (s) => s.rotate(-7, { background: '#000' }).png()) },
  { name: 'rot+14', make: simple(0.6, (s) => s.rotate(14, { background: '#000' }).png()) },
  { name: 'rot-14', make: simple(0.6, (s) => s.rotate(-14, { background: '#000' }).png()) },
  {
    name: 'face64px',
    make: simple(0.6, (s, side) => s.resize(Math.round((side * 64) / (side / 2.2))).png()),
  },
  {
    name: 'face100px',
    make: simple(0.6, (s, side) => s.resize(Math.round((side * 100) / (side / 2.2))).png()),
  },
  {
    name: 'face350px',
    make: simple(0.6, (s, side) => s.resize(Math.round((side * 350) / (side / 2.2))).png()),
  },
  { name: 'jpeg-q20', make: simple(0.6, jpeg(20)) },
  { name: 'jpeg-q50', make: simple(0.6, jpeg(50)) },
  { name: 'darker', make: simple(0.6, (s) => s.modulate({ brightness: 0.65 }).png()) },
  { name: 'brighter', make: simple(0.6, (s) => s.modulate({ brightness: 1.35 }).png()) },
  { name: 'blur', make: simple(0.6, (s) => s.blur(1.5).png()) },
  {
    name: 'flip-rot10-q40',
    make: simple(0.7, (s) => s.flop().rotate(10, { background: '#000' }).jpeg({ quality: 40 })),
  },
];

/** The detection whose centre is nearest the expected face centre, if near enough. */
function pick(
  found: Detected[],
  img: { width: number; height: number },
  centre: { x: number; y: number },
  faceFrac: number,
) {
  let best: Detected | undefined;
  let bestD = Infinity;
  for (const f of found) {
    const fx = (f.box.x + f.box.width / 2) / img.width;
    const fy = (f.box.y + f.box.height / 2) / img.height;
    const d = Math.hypot(fx - centre.x, fy - centre.y);
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best && bestD < 0.5 * faceFrac ? best : undefined;
}

/** Acklam's rational approximation of the standard normal quantile (|rel. error| < 1.2e-9). */
function normInv(p: number): number {
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
    -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - lo) return -normInv(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

const quantile = (sorted: number[], p: number): number => {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.floor(p * sorted.length)));
  return sorted[i]!;
};
const round = (x: number, d = 4): number => Number(x.toFixed(d));
const meanSd = (xs: number[]) => {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
  return { mean: m, sd: Math.sqrt(v) };
};

interface CachedFace {
  id: string;
  photo: number;
  box: Box;
  score: number;
  descriptors: { variant: string; raw: number[] }[];
}

async function computeFaces(): Promise<{ faces: Face[]; attempted: number; missed: number }> {
  if (cacheFile && existsSync(cacheFile)) {
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as {
      faces: CachedFace[];
      attempted: number;
      missed: number;
      modelId: string;
    };
    if (cached.modelId === MODEL_ID) {
      process.stderr.write(`using cached descriptors from ${cacheFile}\n`);
      const faces = cached.faces.map((f) => ({
        ...f,
        descriptors: f.descriptors.map((d) => ({
          variant: d.variant,
          raw: Float32Array.from(d.raw),
          unit: unit(Float32Array.from(d.raw)),
        })),
      }));
      return { faces, attempted: cached.attempted, missed: cached.missed };
    }
  }
  await init();
  const faces: Face[] = [];
  let attempted = 0;
  let missed = 0;
  for (const [pi, file] of PHOTOS.entries()) {
    const photo = await sharp(path.join(demoDir, file)).rotate().png().toBuffer();
    const meta = await sharp(photo).metadata();
    const dims = { width: meta.width!, height: meta.height! };
    const found = await detect(photo);
    for (const [fi, f] of found.entries()) {
      const face: Face = {
        id: `s${pi + 1}f${fi}`,
        photo: pi + 1,
        box: f.box,
        score: f.score,
        descriptors: [{ variant: 'original', raw: f.descriptor, unit: unit(f.descriptor) }],
      };
      if (cropsDir) {
        mkdirSync(cropsDir, { recursive: true });
        writeFileSync(path.join(cropsDir, `${face.id}.png`), (await crop(photo, dims, f.box, 0.3)).img);
      }
      for (const v of VARIANTS) {
        attempted++;
        const { img, centre, faceFrac } = await v.make(photo, dims, f.box);
        const m = await sharp(img).metadata();
        const hit = pick(await detect(img), { width: m.width!, height: m.height! }, centre, faceFrac);
        if (!hit) {
          missed++;
          continue;
        }
        face.descriptors.push({ variant: v.name, raw: hit.descriptor, unit: unit(hit.descriptor) });
      }
      faces.push(face);
      process.stderr.write(`${face.id}: ${face.descriptors.length} descriptors\n`);
    }
  }
  if (cacheFile) {
    const data = {
      modelId: MODEL_ID,
      attempted,
      missed,
      faces: faces.map((f) => ({
        ...f,
        descriptors: f.descriptors.map((d) => ({ variant: d.variant, raw: Array.from(d.raw) })),
      })),
    };
    writeFileSync(cacheFile, JSON.stringify(data));
  }
  return { faces, attempted, missed };
}

const levelKey = (p: number) => (p === 1e-3 ? '1e-3' : p === 1e-4 ? '1e-4' : '1e-5');

/** Pair statistics and thresholds with the given face pairs ("a~b") left out of the impostor set. */
function analyse(faces: Face[], excluded: ReadonlySet<string>) {
  const genuine: number[] = [];
  const genuineRaw: number[] = [];
  for (const f of faces)
    for (let i = 0; i < f.descriptors.length; i++)
      for (let j = i + 1; j < f.descriptors.length; j++) {
        genuine.push(dist(f.descriptors[i]!.unit, f.descriptors[j]!.unit));
        genuineRaw.push(dist(f.descriptors[i]!.raw, f.descriptors[j]!.raw));
      }
  const impostor: number[] = [];
  const impostorRaw: number[] = [];
  const identityPairMin: number[] = [];
  for (let i = 0; i < faces.length; i++)
    for (let j = i + 1; j < faces.length; j++) {
      const A = faces[i]!;
      const B = faces[j]!;
      if (excluded.has(`${A.id}~${B.id}`)) continue;
      let min = Infinity;
      for (const a of A.descriptors)
        for (const b of B.descriptors) {
          const d = dist(a.unit, b.unit);
          impostor.push(d);
          impostorRaw.push(dist(a.raw, b.raw));
          min = Math.min(min, d);
        }
      identityPairMin.push(min);
    }
  genuine.sort((a, b) => a - b);
  impostor.sort((a, b) => a - b);
  identityPairMin.sort((a, b) => a - b);

  // Fitted tail: cosine similarity s = 1 - d²/2 of impostor pairs modelled as normal; FMR p ->
  // s_p = mean + sd·Φ⁻¹(1-p) -> d_p = sqrt(2 - 2 s_p).
  const sims = impostor.map((d) => 1 - (d * d) / 2);
  const { mean: sMean, sd: sSd } = meanSd(sims);
  const fitted = (p: number) => Math.sqrt(Math.max(0, 2 - 2 * (sMean + sSd * normInv(1 - p))));
  const fnmrAt = (t: number) => genuine.filter((d) => d > t).length / genuine.length;
  const fmrAt = (t: number) => impostor.filter((d) => d <= t).length / impostor.length;
  const thresholds: Record<
    string,
    {
      distance: number;
      fittedDistance: number;
      empiricalDistance: number | null;
      source: string;
      observedFmr: number;
      fnmr: number;
    }
  > = {};
  for (const p of FMRS) {
    const f = fitted(p);
    // empirical quantile only where >= 10 impostor pairs fall below it
    const empirical = impostor.length * p >= 10 ? quantile(impostor, p) : null;
    const t = empirical === null ? f : Math.min(f, empirical);
    thresholds[levelKey(p)] = {
      distance: round(t),
      fittedDistance: round(f),
      empiricalDistance: empirical === null ? null : round(empirical),
      source: empirical !== null && empirical < f ? 'empirical' : 'fitted-normal-tail',
      observedFmr: fmrAt(round(t)),
      fnmr: round(fnmrAt(round(t)), 5),
    };
  }
  genuineRaw.sort((a, b) => a - b);
  impostorRaw.sort((a, b) => a - b);
  return {
    genuine,
    impostor,
    genuineRaw,
    impostorRaw,
    identityPairs: identityPairMin.length,
    identityPairMin,
    sMean,
    sSd,
    thresholds,
    fitCheck: [1e-1, 1e-2, 1e-3].map((p) => ({
      fmr: p,
      empirical: round(quantile(impostor, p)),
      fitted: round(fitted(p)),
    })),
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const { faces, attempted, missed } = await computeFaces();

  const suspects: { a: string; b: string; distance: number; samePerson: boolean }[] = [];
  for (let i = 0; i < faces.length; i++)
    for (let j = i + 1; j < faces.length; j++) {
      const A = faces[i]!;
      const B = faces[j]!;
      if (A.photo === B.photo) continue;
      const d = dist(A.descriptors[0]!.unit, B.descriptors[0]!.unit);
      if (d < CROSS_PHOTO_SUSPECT)
        suspects.push({
          a: A.id,
          b: B.id,
          distance: round(d),
          samePerson: SAME_PERSON.has(`${A.id}~${B.id}`),
        });
    }
  suspects.sort((a, b) => a.distance - b.distance);
  const primary = analyse(faces, SAME_PERSON);
  const sensitivity = analyse(faces, new Set([...SAME_PERSON, ...suspects.map((s) => `${s.a}~${s.b}`)]));

  const t3 = primary.thresholds['1e-3']!.distance;
  const t4 = primary.thresholds['1e-4']!.distance;
  const t5 = primary.thresholds['1e-5']!.distance;
  const impostorMedian = round(quantile(primary.impostor, 0.5));
  const consistency = round(Math.max(t3, quantile(primary.genuine, CONSISTENCY_GENUINE_QUANTILE)));
  const rawNormMean = meanSd(faces.flatMap((f) => f.descriptors.map((d) => l2(d.raw)))).mean;
  const rawConventional = 0.6;
  const pairs = (xs: number[]) => ({
    mean: round(meanSd(xs).mean),
    p50: round(quantile(xs, 0.5)),
    p99: round(quantile(xs, 0.99)),
    max: round(xs[xs.length - 1]!),
  });

  const out = {
    modelId: MODEL_ID,
    generatedAt: new Date().toISOString(),
    generator: 'apps/biometrics/test/calibration.ts',
    distance: 'euclidean distance between L2-normalised descriptors (= sqrt(2 - 2·cosine))',
    method:
      'genuine = pairs of descriptors of the same detected face across augmented variants of one photo; impostor = pairs of descriptors of different faces (same photo => different people; cross-photo pairs inspected by eye, none judged the same person). Threshold at FMR p = min(empirical impostor quantile when >= 10 impostor pairs fall below it, normal fit of the impostor cosine-similarity distribution); FMR 1e-4 and 1e-5 are extrapolated from the fitted tail.',
    data: {
      source: '@vladmandic/face-api/demo sample1..6.jpg',
      detector:
        'ssdMobilenetv1 minConfidence 0.5 + faceLandmark68Net + faceRecognitionNet (dlib-style alignment), tfjs-backend-wasm',
      photos: PHOTOS.length,
      faces: faces.length,
      variants: VARIANTS.map((v) => v.name),
      variantAttempts: attempted,
      variantMisses: missed,
      descriptors: faces.reduce((s, f) => s + f.descriptors.length, 0),
      genuinePairs: primary.genuine.length,
      impostorPairs: primary.impostor.length,
      impostorIdentityPairs: primary.identityPairs,
      crossPhotoSuspects: suspects,
    },
    genuine: pairs(primary.genuine),
    impostor: {
      ...pairs(primary.impostor),
      min: round(primary.impostor[0]!),
      identityPairMin: round(primary.identityPairMin[0]!),
      cosineMean: round(primary.sMean),
      cosineSd: round(primary.sSd),
      fitCheck: primary.fitCheck,
    },
    thresholds: primary.thresholds,
    sensitivityWithoutSuspects: {
      note: 'same statistics with every cross-photo suspect pair removed from the impostor set (as if each were one person)',
      impostorPairs: sensitivity.impostor.length,
      impostorIdentityPairs: sensitivity.identityPairs,
      thresholds: Object.fromEntries(
        Object.entries(sensitivity.thresholds).map(([k, v]) => [k, { distance: v.distance, fnmr: v.fnmr }]),
      ),
    },
    conventional: {
      note: 'face-api / dlib convention: same person when the euclidean distance of the RAW (un-normalised) descriptors < 0.6',
      rawDescriptorNormMean: round(rawNormMean),
      rawThreshold: rawConventional,
      impostorFmr: round(
        primary.impostorRaw.filter((d) => d <= rawConventional).length / primary.impostorRaw.length,
        5,
      ),
      genuineFnmr: round(
        primary.genuineRaw.filter((d) => d > rawConventional).length / primary.genuineRaw.length,
        5,
      ),
    },
    enrollmentConsistency: {
      distance: consistency,
      rule: `max(FMR 1e-3 threshold, genuine-pair ${CONSISTENCY_GENUINE_QUANTILE} quantile)`,
      observedFmr: round(
        primary.impostor.filter((d) => d <= consistency).length / primary.impostor.length,
        5,
      ),
      fnmr: round(primary.genuine.filter((d) => d > consistency).length / primary.genuine.length, 5),
    },
    confidenceAnchors: [
      [0, 100],
      [t5, 80],
      [t4, 70],
      [t3, 60],
      [impostorMedian, 20],
      [2, 0],
    ],
    defaults: { verify: '1e-3', identify: '1e-4' },
    elapsedSeconds: Math.round((performance.now() - t0) / 1000),
  };
  writeFileSync(outFile, JSON.stringify(out, null, 2) + '\n');
  console.log(
    JSON.stringify(
      { ...out, data: { ...out.data, variants: undefined, crossPhotoSuspects: suspects.length } },
      null,
      2,
    ),
  );
}

await main();
