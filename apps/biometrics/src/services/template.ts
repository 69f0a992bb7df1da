/**
 * Enrollment templates: 1..5 sample descriptors of one person -> one L2-normalised mean descriptor,
 * after a consistency check that rejects a set containing another person's face.
 */
import { DomainError } from '@guardian/domain';
import { CALIBRATION } from './matching.js';
import {
  assertSameModel,
  euclideanDistance,
  normalizeDescriptor,
  DESCRIPTOR_LENGTH,
} from './matching-vectors.js';

export { assertSameModel } from './matching-vectors.js';

/**
 * How descriptors are made (docs/matching.md): face-api 1.7.15 FaceRecognitionNet (dlib ResNet-34
 * port, 128-d) on a chip rotated to level eyes, averaged with the mirrored chip's descriptor. Both
 * moved LFW's TAR at FAR 1e-3 up (measured); both are part of the model id, so templates made
 * another way are never compared with these.
 */
export const DESCRIPTOR_RECIPE = { align: 'eyes', mirror: true } as const;
export const FACEAPI_MODEL_ID = 'faceapi-1.7.15/facerecognitionnet+eyes+mirror';
export const MIN_SAMPLES = 1;
export const MAX_SAMPLES = 5;

export interface TemplateSample {
  /** Raw descriptor as produced by the model (normalised here). */
  descriptor: ArrayLike<number>;
  /** Face detector score 0..1, if known. */
  detectionScore?: number;
  /** Face box size in pixels (the larger side), if known. */
  faceSizePx?: number;
}

export interface TemplateQuality {
  minDetectionScore: number | null;
  meanDetectionScore: number | null;
  minFaceSizePx: number | null;
  /** Largest distance between two samples (0 with a single sample). */
  maxPairDistance: number;
  /** Largest distance of a sample from the template. */
  maxDistanceToTemplate: number;
}

export interface FaceTemplate {
  /** L2-normalised mean of the normalised sample descriptors. */
  vector: Float32Array;
  modelId: string;
  sampleCount: number;
  quality: TemplateQuality;
}

export interface BuildTemplateOptions {
  /** Model that produced every sample descriptor. */
  modelId?: string;
  /**
   * Largest distance allowed between any two samples. Default: the calibrated enrollment consistency
   * distance (max of the FMR 1e-3 threshold and the 99.5 % quantile of genuine-pair distances): the
   * check is meant to catch a photo of someone else, not to be a second verification.
   */
  maxPairDistance?: number;
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

function normalizedMean(vectors: readonly Float32Array[]): Float32Array {
  const acc = new Float64Array(DESCRIPTOR_LENGTH);
  for (const v of vectors) for (let i = 0; i < DESCRIPTOR_LENGTH; i++) acc[i]! += v[i]!;
  return normalizeDescriptor(acc, 'mean descriptor');
}

/**
 * Builds a template. Throws DomainError:
 * - invalid / SAMPLE_COUNT when not 1..5 samples, invalid / BAD_DESCRIPTOR for malformed descriptors;
 * - unprocessable / INCONSISTENT_SAMPLES when some pair of samples is further apart than
 *   `maxPairDistance`; metadata.sampleIndex names the sample (0-based) that disagrees with the others
 *   (the one violating most pairs, ties broken by the distance to the mean of the other samples; with
 *   two samples it cannot be told which one is wrong and the second one, index 1, is named).
 */
export function buildTemplate(
  samples: readonly TemplateSample[],
  options: BuildTemplateOptions = {},
): FaceTemplate {
  const modelId = options.modelId ?? FACEAPI_MODEL_ID;
  const maxPair = options.maxPairDistance ?? CALIBRATION.enrollmentConsistencyDistance;
  if (samples.length < MIN_SAMPLES || samples.length > MAX_SAMPLES) {
    throw new DomainError(
      'invalid',
      'SAMPLE_COUNT',
      `enrollment needs ${MIN_SAMPLES}..${MAX_SAMPLES} samples, got ${samples.length}`,
      {
        metadata: { min: String(MIN_SAMPLES), max: String(MAX_SAMPLES), got: String(samples.length) },
      },
    );
  }
  const vectors = samples.map((s, i) => normalizeDescriptor(s.descriptor, `sample ${i}`));
  const n = vectors.length;

  // pairwise distances and violations
  const violations = new Array<number>(n).fill(0);
  let maxPairDistance = 0;
  let worstPair: [number, number, number] | undefined;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const d = euclideanDistance(vectors[i]!, vectors[j]!);
      maxPairDistance = Math.max(maxPairDistance, d);
      if (d > maxPair) {
        violations[i]!++;
        violations[j]!++;
        if (!worstPair || d > worstPair[2]) worstPair = [i, j, d];
      }
    }
  if (worstPair) {
    // distance of each sample to the mean of the others (leave-one-out)
    const looDistance = vectors.map((v, i) =>
      n < 3 ? 0 : euclideanDistance(v, normalizedMean(vectors.filter((_, j) => j !== i))),
    );
    let culprit = n - 1;
    for (let i = 0; i < n; i++) {
      const better =
        violations[i]! > violations[culprit]! ||
        (violations[i] === violations[culprit] && looDistance[i]! > looDistance[culprit]!);
      if (better) culprit = i;
    }
    throw new DomainError(
      'unprocessable',
      'INCONSISTENT_SAMPLES',
      `sample ${culprit} does not look like the same person as the other samples`,
      {
        metadata: {
          sampleIndex: String(culprit),
          pair: `${worstPair[0]},${worstPair[1]}`,
          distance: worstPair[2].toFixed(4),
          maxDistance: maxPair.toFixed(4),
        },
      },
    );
  }

  const vector = normalizedMean(vectors);
  const scores = samples.map((s) => s.detectionScore).filter((x): x is number => typeof x === 'number');
  const sizes = samples.map((s) => s.faceSizePx).filter((x): x is number => typeof x === 'number');
  return {
    vector,
    modelId,
    sampleCount: n,
    quality: {
      minDetectionScore: scores.length ? Math.min(...scores) : null,
      meanDetectionScore: scores.length ? mean(scores) : null,
      minFaceSizePx: sizes.length ? Math.min(...sizes) : null,
      maxPairDistance,
      maxDistanceToTemplate: Math.max(...vectors.map((v) => euclideanDistance(v, vector))),
    },
  };
}

/** Distance between two templates; throws unprocessable / MODEL_MISMATCH for different models. */
export function templateToTemplateDistance(
  a: Pick<FaceTemplate, 'vector' | 'modelId'>,
  b: Pick<FaceTemplate, 'vector' | 'modelId'>,
): number {
  assertSameModel(a.modelId, b.modelId);
  return euclideanDistance(a.vector, b.vector);
}
