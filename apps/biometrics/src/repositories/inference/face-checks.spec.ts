import { describe, expect, it } from 'vitest';
import { isDomainError } from '@guardian/domain';
import { checkFaceQuality, DEFAULT_FACE_CHECKS, pickFace, requireSingleFace } from './face-checks.js';
import type { DetectedFace } from './types.js';

const face = (x: number, side: number, score = 0.9): DetectedFace => ({
  score,
  box: { x, y: 10, width: side, height: side },
  landmarks: [],
});
const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (isDomainError(error)) return { reason: error.reason, metadata: error.metadata };
    throw error;
  }
  return undefined;
};

describe('pickFace', () => {
  it('refuses several faces by default and takes the largest when asked', () => {
    const faces = [face(0, 100), face(300, 180), face(600, 120)];
    expect(reasonOf(() => pickFace(faces))).toMatchObject({
      reason: 'MULTIPLE_FACES',
      metadata: { faces: '3' },
    });
    expect(pickFace(faces, 'largest')).toBe(faces[1]);
    expect(pickFace([faces[0]!], 'single')).toBe(faces[0]);
    expect(reasonOf(() => pickFace([], 'largest'))?.reason).toBe('NO_FACE');
  });

  it('applies the quality gates to the picked face only', () => {
    const faces = [face(0, 40, 0.3), face(300, 200, 0.95)];
    expect(requireSingleFace({ faces, scale: 1 }, {}, 'largest')).toBe(faces[1]);
    expect(reasonOf(() => requireSingleFace({ faces: [faces[0]!], scale: 1 }))?.reason).toBe(
      'FACE_TOO_SMALL',
    );
  });
});

describe('checkFaceQuality', () => {
  it('names the gate and the values in every refusal', () => {
    expect(reasonOf(() => checkFaceQuality(face(0, 60), 1))).toMatchObject({
      reason: 'FACE_TOO_SMALL',
      metadata: { gate: 'face_size', faceSize: '60', minFaceSize: String(DEFAULT_FACE_CHECKS.minFaceSize) },
    });
    // 200 px in the original, 40 px in a working image downscaled 5x.
    expect(reasonOf(() => checkFaceQuality(face(0, 200), 5))).toMatchObject({
      reason: 'FACE_TOO_SMALL',
      metadata: { gate: 'working_face_size', faceSize: '40' },
    });
    const low = DEFAULT_FACE_CHECKS.minQualityScore - 0.01;
    expect(reasonOf(() => checkFaceQuality(face(0, 200, low), 1))).toMatchObject({
      reason: 'LOW_QUALITY',
      metadata: { gate: 'detection_score', score: low.toFixed(3) },
    });
    expect(
      reasonOf(() => checkFaceQuality(face(0, 200, DEFAULT_FACE_CHECKS.minQualityScore), 1)),
    ).toBeUndefined();
  });
});
