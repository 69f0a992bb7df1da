import { describe, expect, it } from 'vitest';
import { DomainError } from '@guardian/domain';
import {
  CALIBRATION,
  ConfidenceScale,
  DEFAULT_IDENTIFY_THRESHOLD,
  DEFAULT_VERIFY_THRESHOLD,
  FMR_LEVELS,
  compare,
  confidenceThresholds,
  confidenceToDistance,
  distanceFromDot,
  distanceToConfidence,
  dot,
  euclideanDistance,
  parseCalibration,
  thresholdDistance,
  verify,
} from './matching.js';
import calibrationJson from './calibration.json' with { type: 'json' };
import { FACEAPI_MODEL_ID } from './template.js';
import { randomUnitVector, seededRandom, vectorAtDistance } from './matching-testkit.js';

const rand = seededRandom(3);
const model = FACEAPI_MODEL_ID;

describe('distance', () => {
  it('on unit vectors equals sqrt(2 - 2 cos)', () => {
    for (let i = 0; i < 20; i++) {
      const a = randomUnitVector(rand);
      const b = randomUnitVector(rand);
      expect(euclideanDistance(a, b)).toBeCloseTo(distanceFromDot(dot(a, b)), 6);
    }
    const a = randomUnitVector(rand);
    expect(euclideanDistance(a, a)).toBe(0);
    expect(
      euclideanDistance(
        a,
        a.map((x) => -x),
      ),
    ).toBeCloseTo(2, 6);
  });
});

describe('confidence scale', () => {
  it('is 100 at distance 0, 0 at distance 2, strictly decreasing in between', () => {
    expect(distanceToConfidence(0)).toBe(100);
    expect(distanceToConfidence(2)).toBe(0);
    expect(distanceToConfidence(3)).toBe(0);
    let prev = Infinity;
    for (let d = 0; d <= 2; d += 0.001) {
      const c = distanceToConfidence(d);
      expect(c).toBeLessThan(prev);
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(100);
      prev = c;
    }
  });

  it('inverts: confidenceToDistance(distanceToConfidence(d)) = d', () => {
    for (let d = 0; d <= 2; d += 0.0137)
      expect(confidenceToDistance(distanceToConfidence(d))).toBeCloseTo(d, 9);
    for (let c = 0; c <= 100; c += 0.7)
      expect(distanceToConfidence(confidenceToDistance(c))).toBeCloseTo(c, 9);
  });

  it('maps the FMR thresholds to 60 / 70 / 80 and orders them', () => {
    const t = confidenceThresholds();
    expect(t['1e-3']).toBeCloseTo(60, 9);
    expect(t['1e-4']).toBeCloseTo(70, 9);
    expect(t['1e-5']).toBeCloseTo(80, 9);
    expect(thresholdDistance('1e-5')).toBeLessThan(thresholdDistance('1e-4'));
    expect(thresholdDistance('1e-4')).toBeLessThan(thresholdDistance('1e-3'));
    expect(DEFAULT_VERIFY_THRESHOLD).toBe(thresholdDistance(CALIBRATION.defaults.verify));
    expect(DEFAULT_IDENTIFY_THRESHOLD).toBe(thresholdDistance(CALIBRATION.defaults.identify));
    expect(FMR_LEVELS).toEqual(['1e-3', '1e-4', '1e-5']);
  });

  it('rejects anchors that are not monotone or do not span 0..2', () => {
    expect(
      () =>
        new ConfidenceScale([
          [0, 100],
          [0.5, 70],
          [0.4, 60],
          [2, 0],
        ]),
    ).toThrow(/anchors/);
    expect(
      () =>
        new ConfidenceScale([
          [0, 100],
          [0.5, 70],
          [0.6, 75],
          [2, 0],
        ]),
    ).toThrow(/anchors/);
    expect(
      () =>
        new ConfidenceScale([
          [0, 100],
          [1.5, 0],
        ]),
    ).toThrow(/anchors/);
    const s = new ConfidenceScale([
      [0, 100],
      [1, 50],
      [2, 0],
    ]);
    expect(s.toConfidence(0.5)).toBeCloseTo(75);
    expect(s.toDistance(25)).toBeCloseTo(1.5);
  });
});

describe('calibration data', () => {
  it('parses the shipped calibration and rejects broken copies', () => {
    expect(parseCalibration(calibrationJson).modelId).toBe(FACEAPI_MODEL_ID);
    const broken = structuredClone(calibrationJson) as unknown as {
      thresholds: Record<string, { distance: number }>;
    };
    broken.thresholds['1e-5']!.distance = 1.9;
    expect(() => parseCalibration(broken)).toThrow(/ordered/);
    expect(() =>
      parseCalibration({ ...calibrationJson, defaults: { verify: '1e-2', identify: '1e-5' } }),
    ).toThrow(/defaults/);
    expect(() => parseCalibration({ ...calibrationJson, enrollmentConsistency: { distance: -1 } })).toThrow(
      /enrollmentConsistency/,
    );
    expect(CALIBRATION.enrollmentConsistencyDistance).toBeGreaterThanOrEqual(thresholdDistance('1e-3'));
  });
});

describe('verify', () => {
  it('matches just inside the threshold and not just outside, with consistent confidence', () => {
    const t = DEFAULT_VERIFY_THRESHOLD;
    const base = randomUnitVector(rand);
    const near = verify(
      { vector: base, modelId: model },
      { vector: vectorAtDistance(rand, base, t - 0.005, 1.4), modelId: model },
    );
    expect(near.match).toBe(true);
    expect(near.distance).toBeCloseTo(t - 0.005, 4);
    expect(near.confidence).toBeGreaterThan(near.thresholdConfidence);
    expect(near.threshold).toBe(t);
    const far = verify(
      { vector: base, modelId: model },
      { vector: vectorAtDistance(rand, base, t + 0.005, 1.4), modelId: model },
    );
    expect(far.match).toBe(false);
    expect(far.confidence).toBeLessThan(far.thresholdConfidence);
  });

  it('accepts an FMR level or a distance as threshold and refuses nonsense', () => {
    const base = randomUnitVector(rand);
    const probe = {
      vector: vectorAtDistance(rand, base, (thresholdDistance('1e-5') + thresholdDistance('1e-3')) / 2),
      modelId: model,
    };
    expect(verify({ vector: base, modelId: model }, probe, '1e-3').match).toBe(true);
    expect(verify({ vector: base, modelId: model }, probe, '1e-5').match).toBe(false);
    expect(verify({ vector: base, modelId: model }, probe, 2).match).toBe(true);
    expect(() => verify({ vector: base, modelId: model }, probe, 2.5)).toThrow(DomainError);
    expect(() => verify({ vector: base, modelId: model }, probe, '1e-2' as never)).toThrow(DomainError);
  });

  it('throws MODEL_MISMATCH across models', () => {
    const v = randomUnitVector(rand);
    try {
      verify({ vector: v, modelId: model }, { vector: v, modelId: 'arcface-r100/v1' });
      expect.unreachable();
    } catch (e) {
      expect((e as DomainError).reason).toBe('MODEL_MISMATCH');
      expect((e as DomainError).kind).toBe('unprocessable');
    }
  });
});

describe('compare', () => {
  it('returns samePerson, confidence and Face++-style thresholds', () => {
    const base = randomUnitVector(rand);
    const same = compare(
      { vector: base, modelId: model },
      { vector: vectorAtDistance(rand, base, 0.1), modelId: model },
    );
    expect(same.samePerson).toBe(true);
    expect(same.confidence).toBeGreaterThan(same.thresholds['1e-5']);
    const other = compare(
      { vector: base, modelId: model },
      { vector: randomUnitVector(rand), modelId: model },
    );
    expect(other.samePerson).toBe(false);
    expect(other.confidence).toBeLessThan(other.thresholds['1e-3']);
    expect(Object.keys(other.thresholds).sort()).toEqual(['1e-3', '1e-4', '1e-5']);
  });
});
