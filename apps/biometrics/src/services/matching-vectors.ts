import { DomainError } from '@guardian/domain';

/** Length of a face-api FaceRecognitionNet descriptor. */
export const DESCRIPTOR_LENGTH = 128;

/**
 * Checks a descriptor (length, finite, non-zero) and returns a new L2-normalised Float32Array.
 * All matching in this service is done on unit vectors.
 */
export function normalizeDescriptor(vector: ArrayLike<number>, what = 'descriptor'): Float32Array {
  if (vector.length !== DESCRIPTOR_LENGTH) {
    throw new DomainError(
      'invalid',
      'BAD_DESCRIPTOR',
      `${what} must have ${DESCRIPTOR_LENGTH} values, got ${vector.length}`,
    );
  }
  let sum = 0;
  for (let i = 0; i < DESCRIPTOR_LENGTH; i++) {
    const x = vector[i]!;
    if (!Number.isFinite(x))
      throw new DomainError('invalid', 'BAD_DESCRIPTOR', `${what} contains a non-finite value`);
    sum += x * x;
  }
  const norm = Math.sqrt(sum);
  if (!(norm > 1e-12)) throw new DomainError('invalid', 'BAD_DESCRIPTOR', `${what} is a zero vector`);
  const out = new Float32Array(DESCRIPTOR_LENGTH);
  for (let i = 0; i < DESCRIPTOR_LENGTH; i++) out[i] = vector[i]! / norm;
  return out;
}

/** Dot product (in double precision). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new DomainError('invalid', 'BAD_DESCRIPTOR', 'vectors have different lengths');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Euclidean distance. On unit vectors d² = 2 − 2·cos, so d ranges over 0..2 and orders exactly like cosine. */
export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new DomainError('invalid', 'BAD_DESCRIPTOR', 'vectors have different lengths');
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Distance of two unit vectors from their dot product (cosine): sqrt(max(0, 2 − 2·dot)). */
export const distanceFromDot = (cosine: number): number => Math.sqrt(Math.max(0, 2 - 2 * cosine));

/** Cosine of two unit vectors from their distance: 1 − d²/2. */
export const dotFromDistance = (distance: number): number => 1 - (distance * distance) / 2;

/** Descriptors of different models (or model versions) live in different spaces and must never be compared. */
export function assertSameModel(a: string, b: string): void {
  if (a !== b) {
    throw new DomainError(
      'unprocessable',
      'MODEL_MISMATCH',
      `cannot compare templates of model "${a}" and "${b}"`,
      {
        metadata: { modelA: a, modelB: b },
      },
    );
  }
}
