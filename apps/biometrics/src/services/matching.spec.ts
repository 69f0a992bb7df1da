import { describe, expect, it } from 'vitest';
import { DomainError } from '@guardian/domain';
import {
  CALIBRATION,
  ConfidenceScale,
  DEFAULT_VERIFY_THRESHOLD,
  FMR_LEVELS,
  compare,
  distanceAtFmr,
  fmrForGallery,
  identifyThreshold,
  sampleOffset,
  verifyThreshold,
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
    expect(() => parseCalibration({ ...calibrationJson, defaults: { verify: '1e-2' } })).toThrow(/defaults/);
    expect(() => parseCalibration({ ...calibrationJson, enrollmentConsistency: { distance: -1 } })).toThrow(
      /enrollmentConsistency/,
    );
    expect(() => parseCalibration({ ...calibrationJson, identify: { fpir: 2 } })).toThrow(/fpir/);
    const unordered = structuredClone(calibrationJson) as unknown as { impostorTail: { distance: number }[] };
    unordered.impostorTail[0]!.distance = 1.5;
    expect(() => parseCalibration(unordered)).toThrow(/impostorTail/);
  });

  it("the thresholds in code are the checked-in calibration's, measured on real photo pairs", () => {
    const json = calibrationJson as unknown as {
      thresholds: Record<string, { distance: number; impostorsBelow: number }>;
      identify: { fpir: number };
      enrollmentConsistency: { distance: number };
      data: { source: string; genuinePairs: number; impostorPairs: number };
    };
    expect(DEFAULT_VERIFY_THRESHOLD).toBe(json.thresholds['1e-3']!.distance);
    for (const level of FMR_LEVELS) expect(thresholdDistance(level)).toBe(json.thresholds[level]!.distance);
    expect(CALIBRATION.identifyFpir).toBe(json.identify.fpir);
    expect(CALIBRATION.enrollmentConsistencyDistance).toBe(json.enrollmentConsistency.distance);
    // Real photos of real people (not augmentations of one photo), with enough impostors for 1e-5.
    expect(json.data.source).toMatch(/Labeled Faces in the Wild/);
    expect(json.data.impostorPairs * 1e-5).toBeGreaterThanOrEqual(10);
    expect(json.thresholds['1e-5']!.impostorsBelow).toBeGreaterThanOrEqual(10);
  });
});

describe('template size', () => {
  it('gives templates of more photos stricter thresholds, never looser, clamped to the calibrated range', () => {
    const offsets = CALIBRATION.sampleOffsets;
    expect(sampleOffset(1)).toBe(0);
    for (let k = 2; k <= offsets.length; k++) {
      expect(sampleOffset(k)).toBeLessThanOrEqual(sampleOffset(k - 1));
      expect(verifyThreshold(k)).toBeCloseTo(DEFAULT_VERIFY_THRESHOLD + offsets[k - 1]!, 12);
    }
    expect(sampleOffset(offsets.length + 3)).toBe(offsets.at(-1));
    expect(sampleOffset(0)).toBe(0);
    expect(verifyThreshold(1)).toBe(DEFAULT_VERIFY_THRESHOLD);
    expect(verifyThreshold(3, '1e-4')).toBeCloseTo(thresholdDistance('1e-4') + sampleOffset(3), 12);
    // Measured: averaging several photos pulls impostors closer too, so the offsets are real.
    expect(sampleOffset(3)).toBeLessThan(-0.005);
  });
});

describe('1:N threshold', () => {
  it('fmrForGallery keeps 1 - (1 - FMR)^N at the target FPIR', () => {
    expect(fmrForGallery(1, 1e-3)).toBeCloseTo(1e-3, 12);
    for (const n of [10, 1_000, 100_000, 1_000_000]) {
      const fmr = fmrForGallery(n, 1e-3);
      expect(1 - (1 - fmr) ** n).toBeCloseTo(1e-3, 9);
      expect(fmr / (1e-3 / n)).toBeCloseTo(1, 2); // ≈ FPIR / N for small values (within FPIR / 2)
    }
    expect(fmrForGallery(0, 1e-3)).toBe(fmrForGallery(1, 1e-3));
    expect(() => fmrForGallery(10, 0)).toThrow(RangeError);
    expect(() => fmrForGallery(10, 1)).toThrow(RangeError);
  });

  it('distanceAtFmr interpolates the impostor tail in log10(FMR), monotone, clamped at its ends', () => {
    const tail = CALIBRATION.impostorTail;
    for (const [x, d] of tail) expect(distanceAtFmr(10 ** x)).toBeCloseTo(d, 9);
    const [x0, d0] = tail[0]!;
    const [x1, d1] = tail[1]!;
    expect(distanceAtFmr(10 ** ((x0 + x1) / 2))).toBeCloseTo((d0 + d1) / 2, 9);
    expect(distanceAtFmr(10 ** (x0 - 3))).toBe(d0);
    expect(distanceAtFmr(0.9)).toBe(tail.at(-1)![1]);
    let prev = -1;
    for (let x = -12; x <= 0; x += 0.05) {
      const d = distanceAtFmr(10 ** x);
      expect(d).toBeGreaterThanOrEqual(prev);
      prev = d;
    }
    expect(() => distanceAtFmr(0)).toThrow(RangeError);
  });

  it('identifyThreshold tightens as the gallery grows and is never looser than Verify', () => {
    const fpir = CALIBRATION.identifyFpir;
    const table = [1, 10, 1_000, 100_000, 1_000_000].map((n) => identifyThreshold(n));
    const strictest = CALIBRATION.sampleOffsets.at(-1)!;
    expect(table[0]).toBeCloseTo(Math.min(DEFAULT_VERIFY_THRESHOLD, distanceAtFmr(fpir)) + strictest, 12);
    for (let i = 1; i < table.length; i++) expect(table[i]!).toBeLessThanOrEqual(table[i - 1]!);
    for (const t of table) {
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThanOrEqual(DEFAULT_VERIFY_THRESHOLD);
    }
    expect(identifyThreshold(1_000)).toBeCloseTo(
      Math.min(DEFAULT_VERIFY_THRESHOLD, distanceAtFmr(fmrForGallery(1_000, fpir))) + strictest,
      12,
    );
    // A stricter target gives a stricter threshold.
    expect(identifyThreshold(1_000, 1e-5)).toBeLessThan(identifyThreshold(1_000, 1e-2));
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
