/**
 * Face checks over pool results — pure functions, all failures are DomainError('unprocessable', ...):
 *   NO_FACE         no face found (by the detector at its own threshold)
 *   MULTIPLE_FACES  more than one face where the operation needs exactly one
 *   FACE_TOO_SMALL  face box's shorter side below `minFaceSize` (original px), or below
 *                   `minWorkingFaceSize` in the pixels the models actually saw (after downscaling)
 *   LOW_QUALITY     detection score below `minQualityScore`
 */
import { DomainError } from '@guardian/domain';
import type { DetectedFace } from './types.js';

export interface FaceCheckOptions {
  /** Shorter side of the face box, in original-image pixels (default 80). */
  minFaceSize?: number;
  /** Same, in working-image pixels (default 48): faces the models saw too small give weak descriptors. */
  minWorkingFaceSize?: number;
  /**
   * Detection-score gate (default 0.6). Detectors return faces from their own threshold (0.5) up;
   * a request may lower that threshold so that weak faces come back and are refused here with a reason.
   */
  minQualityScore?: number;
}

export const DEFAULT_FACE_CHECKS: Required<FaceCheckOptions> = {
  minFaceSize: 80,
  minWorkingFaceSize: 48,
  minQualityScore: 0.6,
};

export interface FacesResult<F extends DetectedFace> {
  faces: F[];
  /** original / working size ratio (results of the pool carry it). */
  scale: number;
}

const fail = (reason: string, message: string, metadata?: Record<string, string>) =>
  new DomainError('unprocessable', reason, message, { metadata });

/** Throws FACE_TOO_SMALL or LOW_QUALITY for a face that fails the gates. */
export function checkFaceQuality(face: DetectedFace, scale: number, options: FaceCheckOptions = {}): void {
  const o = { ...DEFAULT_FACE_CHECKS, ...options };
  const side = Math.min(face.box.width, face.box.height);
  const workingSide = side / (scale || 1);
  if (side < o.minFaceSize || workingSide < o.minWorkingFaceSize) {
    throw fail('FACE_TOO_SMALL', `face is ${Math.round(side)} px, at least ${o.minFaceSize} px is required`, {
      faceSize: String(Math.round(side)),
      minFaceSize: String(o.minFaceSize),
    });
  }
  if (face.score < o.minQualityScore) {
    throw fail('LOW_QUALITY', `face detection score ${face.score.toFixed(2)} is below ${o.minQualityScore}`, {
      score: face.score.toFixed(3),
      minScore: String(o.minQualityScore),
    });
  }
}

/** At least one face, each passing the quality gates (for multi-face operations such as analyze). */
export function requireFaces<F extends DetectedFace>(
  result: FacesResult<F>,
  options: FaceCheckOptions = {},
): F[] {
  if (result.faces.length === 0) throw fail('NO_FACE', 'no face found in the image');
  for (const face of result.faces) checkFaceQuality(face, result.scale, options);
  return result.faces;
}

/** Exactly one face, passing the quality gates (enrollment, verify, compare). */
export function requireSingleFace<F extends DetectedFace>(
  result: FacesResult<F>,
  options: FaceCheckOptions = {},
): F {
  const [face, ...others] = result.faces;
  if (!face) throw fail('NO_FACE', 'no face found in the image');
  if (others.length > 0) {
    throw fail('MULTIPLE_FACES', `${result.faces.length} faces found, exactly one is required`, {
      faces: String(result.faces.length),
    });
  }
  checkFaceQuality(face, result.scale, options);
  return face;
}

/** Euclidean distance between two descriptors (face-api's metric; < ~0.5-0.6 = same person). */
export function descriptorDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`descriptor lengths differ: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    sum += d * d;
  }
  return Math.sqrt(sum);
}
