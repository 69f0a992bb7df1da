/**
 * The inference routines a worker runs (also usable in-process by tests and benchmarks). They take
 * decoded RGB pixels, never encoded images: decoding happens once, in image intake.
 */
import { alignedChip } from './align.js';
import type { FaceApi } from './backend.js';
import {
  EXPRESSIONS,
  type AnalyzeRequest,
  type AnalyzedFace,
  type DescribeRequest,
  type DescribedFace,
  type DetectionOptions,
  type Expression,
  type Point,
  type RawImage,
} from './types.js';

export const DEFAULT_TINY_INPUT_SIZE = 416;
export const DEFAULT_MIN_SCORE = 0.5;
export const DEFAULT_MAX_FACES = 20;

type Tensor3D = ReturnType<FaceApi['tf']['tensor3d']>;
type FaceDetection = InstanceType<FaceApi['FaceDetection']>;
type FaceLandmarks68 = InstanceType<FaceApi['FaceLandmarks68']>;

export function detectorOptions(faceapi: FaceApi, options: DetectionOptions) {
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
  if (options.detector === 'ssd') {
    return new faceapi.SsdMobilenetv1Options({
      minConfidence: minScore,
      maxResults: options.maxFaces ?? DEFAULT_MAX_FACES,
    });
  }
  const inputSize = options.inputSize ?? DEFAULT_TINY_INPUT_SIZE;
  if (!Number.isInteger(inputSize) || inputSize % 32 !== 0 || inputSize < 128 || inputSize > 1024) {
    throw new RangeError(`tiny detector inputSize must be a multiple of 32 in 128..1024, got ${inputSize}`);
  }
  return new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: minScore });
}

export function toTensor(faceapi: FaceApi, image: RawImage): Tensor3D {
  const { pixels, width, height } = image;
  if (pixels.length !== width * height * 3) {
    throw new RangeError(`pixel buffer has ${pixels.length} bytes, expected ${width}x${height}x3`);
  }
  return faceapi.tf.tensor3d(pixels, [height, width, 3], 'int32');
}

const scalePoint = (p: { x: number; y: number }, s: number): Point => ({ x: p.x * s, y: p.y * s });

function baseFace(detection: FaceDetection, landmarks: FaceLandmarks68, scale: number) {
  const b = detection.box;
  return {
    score: detection.score,
    box: { x: b.x * scale, y: b.y * scale, width: b.width * scale, height: b.height * scale },
    landmarks: landmarks.positions.map((p) => scalePoint(p, scale)),
  };
}

function limit<T>(items: T[], options: DetectionOptions): T[] {
  const max = options.maxFaces ?? DEFAULT_MAX_FACES;
  return items.length > max ? [...items].sort((a, b) => score(b) - score(a)).slice(0, max) : items;
}
const score = (x: unknown) => (x as { detection: FaceDetection }).detection.score;

/** All faces with 68 landmarks and a 128-d descriptor — face-api's standard chain. */
export async function describe(faceapi: FaceApi, req: DescribeRequest): Promise<DescribedFace[]> {
  if (req.mirror || req.align === 'eyes') return (await describeBatch(faceapi, [req]))[0]!;
  const input = toTensor(faceapi, req.image);
  try {
    const found = await faceapi
      .detectAllFaces(input, detectorOptions(faceapi, req))
      .withFaceLandmarks()
      .withFaceDescriptors();
    const scale = req.image.scale ?? 1;
    return limit(found, req).map((f) => ({
      ...baseFace(f.detection, f.landmarks, scale),
      descriptor: f.descriptor,
    }));
  } finally {
    input.dispose();
  }
}

/** All faces with landmarks, expression probabilities and (optionally) age and gender. */
export async function analyze(faceapi: FaceApi, req: AnalyzeRequest): Promise<AnalyzedFace[]> {
  const input = toTensor(faceapi, req.image);
  try {
    const task = faceapi
      .detectAllFaces(input, detectorOptions(faceapi, req))
      .withFaceLandmarks()
      .withFaceExpressions();
    const scale = req.image.scale ?? 1;
    if (req.withAgeGender) {
      const found = await task.withAgeAndGender();
      return limit(found, req).map((f) => ({
        ...baseFace(f.detection, f.landmarks, scale),
        expressions: expressionsOf(f.expressions),
        age: f.age,
        gender: f.gender === 'female' ? 'female' : 'male',
        genderProbability: f.genderProbability,
      }));
    }
    if (req.withDescriptors) {
      const found = await task.withFaceDescriptors();
      return limit(found, req).map((f) => ({
        ...baseFace(f.detection, f.landmarks, scale),
        expressions: expressionsOf(f.expressions),
        descriptor: f.descriptor,
      }));
    }
    const found = await task;
    return limit(found, req).map((f) => ({
      ...baseFace(f.detection, f.landmarks, scale),
      expressions: expressionsOf(f.expressions),
    }));
  } finally {
    input.dispose();
  }
}

function expressionsOf(e: object): Record<Expression, number> {
  const src = e as Record<string, unknown>;
  const out = {} as Record<Expression, number>;
  for (const k of EXPRESSIONS) {
    const v = src[k];
    out[k] = typeof v === 'number' ? v : 0;
  }
  return out;
}

/**
 * Micro-batched `describe` over several images: detection runs per image (detectors take one image),
 * then the landmark net and the recognition net each run ONE forward pass over the faces of all
 * images. Same steps as face-api's chain (box crop -> landmarks -> dlib-aligned crop -> descriptor),
 * so results match `describe` to float rounding. Worth it where a forward pass has a high fixed cost
 * (GPU); see docs/inference.md for the wasm measurement.
 */
export async function describeBatch(faceapi: FaceApi, reqs: DescribeRequest[]): Promise<DescribedFace[][]> {
  const inputs = reqs.map((r) => toTensor(faceapi, r.image));
  const toDispose: Array<{ dispose(): void }> = [];
  try {
    const detections: FaceDetection[][] = [];
    for (const [i, req] of reqs.entries()) {
      const input = inputs[i]!;
      const found = await faceapi.detectAllFaces(input, detectorOptions(faceapi, req));
      detections.push(
        limit(
          found.map((detection) => ({ detection })),
          req,
        ).map((d) => d.detection),
      );
    }
    // Landmarks: crop every detection box, one batched forward pass.
    const boxCrops: Tensor3D[] = [];
    for (const [i, dets] of detections.entries()) {
      if (dets.length) boxCrops.push(...(await faceapi.extractFaceTensors(inputs[i]!, dets)));
    }
    toDispose.push(...boxCrops);
    const unshifted = boxCrops.length
      ? asArray(await faceapi.nets.faceLandmark68Net.detectLandmarks(boxCrops))
      : [];
    let k = 0;
    const withLandmarks = detections.map((dets) =>
      dets.map((detection) =>
        faceapi.extendWithFaceLandmarks(
          faceapi.extendWithFaceDetection({}, detection),
          unshifted[k++] as FaceLandmarks68,
        ),
      ),
    );
    // Descriptors: dlib-aligned crops of all faces, one batched forward pass.
    const alignedCrops: Tensor3D[] = [];
    const cropMirrored: boolean[] = [];
    for (const [i, faces] of withLandmarks.entries()) {
      if (!faces.length) continue;
      const req = reqs[i]!;
      if (req.align === 'eyes') {
        for (const f of faces) {
          const chip = alignedChip(req.image, f.landmarks.positions, CHIP_SIZE);
          alignedCrops.push(faceapi.tf.tensor3d(chip, [CHIP_SIZE, CHIP_SIZE, 3], 'int32'));
        }
      } else {
        const rects = faces.map((f) => f.landmarks.align(null, { useDlibAlignment: true }));
        alignedCrops.push(...(await faceapi.extractFaceTensors(inputs[i]!, rects)));
      }
      cropMirrored.push(...faces.map(() => req.mirror === true));
    }
    toDispose.push(...alignedCrops);
    const descriptors = alignedCrops.length
      ? asArray(await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(alignedCrops))
      : [];
    const toMirror = cropMirrored.flatMap((m, i) => (m ? [i] : []));
    if (toMirror.length) {
      // Mirrored crops (width axis reversed), one more batched pass, averaged with the originals.
      const tf = faceapi.tf as unknown as { reverse(t: Tensor3D, axis: number): Tensor3D };
      const mirrored = toMirror.map((i) => tf.reverse(alignedCrops[i]!, 1));
      toDispose.push(...mirrored);
      const flipped = asArray(await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(mirrored));
      toMirror.forEach((i, k) => {
        const f = flipped[k]!;
        descriptors[i] = Float32Array.from(descriptors[i]!, (x, j) => (x + f[j]!) / 2);
      });
    }
    k = 0;
    return withLandmarks.map((faces, i) => {
      const scale = reqs[i]!.image.scale ?? 1;
      return faces.map((f) => ({
        ...baseFace(f.detection, f.landmarks, scale),
        descriptor: descriptors[k++]!,
      }));
    });
  } finally {
    for (const t of [...inputs, ...toDispose]) t.dispose();
  }
}

const asArray = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
/** FaceRecognitionNet's input side. */
const CHIP_SIZE = 150;
