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
   * Detection-score gate (default 0.5, the detectors' own threshold). On LFW's real photos the genuine
   * pairs of faces scored 0.5-0.6 were refused no more often than the rest (5.7% against 4.6-7.5% at
   * the Verify threshold), so a 0.6 gate only turned 3% of good photos away (docs/matching.md). A
   * request may lower the detector's threshold so that weak faces come back and are refused here.
   */
  minQualityScore?: number;
}

export const DEFAULT_FACE_CHECKS: Required<FaceCheckOptions> = {
  minFaceSize: 80,
  minWorkingFaceSize: 48,
  minQualityScore: 0.5,
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
  if (side < o.minFaceSize) {
    throw fail('FACE_TOO_SMALL', `face is ${Math.round(side)} px, at least ${o.minFaceSize} px is required`, {
      gate: 'face_size',
      faceSize: String(Math.round(side)),
      minFaceSize: String(o.minFaceSize),
    });
  }
  if (workingSide < o.minWorkingFaceSize) {
    throw fail(
      'FACE_TOO_SMALL',
      `face is ${Math.round(workingSide)} px once the photo is scaled for analysis, at least ${o.minWorkingFaceSize} px is required: send a closer crop`,
      {
        gate: 'working_face_size',
        faceSize: String(Math.round(workingSide)),
        minFaceSize: String(o.minWorkingFaceSize),
      },
    );
  }
  if (face.score < o.minQualityScore) {
    throw fail(
      'LOW_QUALITY',
      `face detection score ${face.score.toFixed(2)} is below ${o.minQualityScore}: use a sharper, well-lit, frontal photo`,
      {
        gate: 'detection_score',
        score: face.score.toFixed(3),
        minScore: String(o.minQualityScore),
      },
    );
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

/**
 * Which face an operation takes: `single` (default) refuses a photo with several faces
 * (MULTIPLE_FACES); `largest` takes the face with the largest box (group photos, as Face++ does).
 */
export type FacePick = 'single' | 'largest';

const area = (f: DetectedFace) => f.box.width * f.box.height;

/** The face `pick` names, before any quality gate: NO_FACE, or MULTIPLE_FACES for `single`. */
export function pickFace<F extends DetectedFace>(faces: readonly F[], pick: FacePick = 'single'): F {
  const [first, ...others] = faces;
  if (!first) throw fail('NO_FACE', 'no face found in the image');
  if (others.length === 0) return first;
  if (pick === 'largest') return others.reduce((best, f) => (area(f) > area(best) ? f : best), first);
  throw fail('MULTIPLE_FACES', `${faces.length} faces found, exactly one is required`, {
    faces: String(faces.length),
  });
}

/** One face (see `pickFace`), passing the quality gates (enrollment, verify, compare). */
export function requireSingleFace<F extends DetectedFace>(
  result: FacesResult<F>,
  options: FaceCheckOptions = {},
  pick: FacePick = 'single',
): F {
  const face = pickFace(result.faces, pick);
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
