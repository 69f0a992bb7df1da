import { describe, expect, it } from 'vitest';
import { DomainError } from '@guardian/domain';
import { FACEAPI_MODEL_ID, buildTemplate, templateToTemplateDistance } from './template.js';
import { euclideanDistance, normalizeDescriptor } from './matching-vectors.js';
import { CALIBRATION } from './matching.js';
import { randomUnitVector, seededRandom, vectorAtDistance } from './matching-testkit.js';

const rand = seededRandom(42);
const person = () => randomUnitVector(rand);
/** Samples of one person: raw descriptors (norm ~1.45 like face-api) close to the person's vector. */
const samplesOf = (base: Float32Array, n: number, spread = 0.15) =>
  Array.from({ length: n }, (_, i) => ({
    descriptor: vectorAtDistance(rand, base, spread, 1.45),
    detectionScore: 0.9 + i / 100,
    faceSizePx: 150 + i,
  }));

const catchError = (fn: () => unknown): DomainError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
};

describe('buildTemplate', () => {
  it('builds an L2-normalised mean of normalised samples with quality summary', () => {
    const base = person();
    const samples = samplesOf(base, 3);
    const t = buildTemplate(samples);
    expect(t.modelId).toBe(FACEAPI_MODEL_ID);
    expect(t.sampleCount).toBe(3);
    expect(t.vector).toHaveLength(128);
    expect(Math.hypot(...t.vector)).toBeCloseTo(1, 5);
    // mean of unit vectors, renormalised
    const units = samples.map((s) => normalizeDescriptor(s.descriptor));
    const mean = units[0]!.map((_, i) => units.reduce((acc, u) => acc + u[i]!, 0));
    const expected = normalizeDescriptor(mean);
    expect(euclideanDistance(t.vector, expected)).toBeLessThan(1e-6);
    // the mean is closer to the person than the average sample
    expect(euclideanDistance(t.vector, base)).toBeLessThan(0.15);
    expect(t.quality.minDetectionScore).toBeCloseTo(0.9);
    expect(t.quality.meanDetectionScore).toBeCloseTo(0.91);
    expect(t.quality.minFaceSizePx).toBe(150);
    expect(t.quality.maxPairDistance).toBeGreaterThan(0.1);
    expect(t.quality.maxPairDistance).toBeLessThan(0.31);
  });

  it('accepts a single sample and reports null quality fields when unknown', () => {
    const base = person();
    const t = buildTemplate([{ descriptor: Array.from(base, (x) => x * 3) }]);
    expect(t.sampleCount).toBe(1);
    expect(euclideanDistance(t.vector, base)).toBeLessThan(1e-6);
    expect(t.quality).toMatchObject({
      minDetectionScore: null,
      meanDetectionScore: null,
      minFaceSizePx: null,
      maxPairDistance: 0,
    });
  });

  it('rejects 0 or more than 5 samples and malformed descriptors', () => {
    expect(catchError(() => buildTemplate([])).reason).toBe('SAMPLE_COUNT');
    expect(catchError(() => buildTemplate(samplesOf(person(), 6))).reason).toBe('SAMPLE_COUNT');
    expect(catchError(() => buildTemplate([{ descriptor: new Float32Array(127).fill(1) }])).reason).toBe(
      'BAD_DESCRIPTOR',
    );
    expect(catchError(() => buildTemplate([{ descriptor: new Float32Array(128) }])).reason).toBe(
      'BAD_DESCRIPTOR',
    );
    const nan = new Float32Array(128).fill(0.1);
    nan[5] = Number.NaN;
    expect(catchError(() => buildTemplate([{ descriptor: nan }])).kind).toBe('invalid');
  });

  it.each([0, 1, 2, 3, 4])('names the intruding sample %i among five', (intruder) => {
    const base = person();
    const samples = samplesOf(base, 5);
    samples[intruder] = { descriptor: person(), detectionScore: 0.99, faceSizePx: 200 };
    const err = catchError(() => buildTemplate(samples));
    expect(err.kind).toBe('unprocessable');
    expect(err.reason).toBe('INCONSISTENT_SAMPLES');
    expect(err.metadata.sampleIndex).toBe(String(intruder));
    expect(Number(err.metadata.distance)).toBeGreaterThan(Number(err.metadata.maxDistance));
  });

  it('names the intruder among three and the second of two', () => {
    const base = person();
    const three = samplesOf(base, 3);
    three[1] = { descriptor: person(), detectionScore: 0.9, faceSizePx: 100 };
    expect(catchError(() => buildTemplate(three)).metadata.sampleIndex).toBe('1');
    const two = [samplesOf(base, 1)[0]!, { descriptor: person() }];
    const err = catchError(() => buildTemplate(two));
    expect(err.reason).toBe('INCONSISTENT_SAMPLES');
    expect(err.metadata.sampleIndex).toBe('1');
  });

  it('uses the calibrated enrollment consistency distance as the default limit', () => {
    const base = person();
    const limit = CALIBRATION.enrollmentConsistencyDistance;
    // two samples just inside / just outside the limit (pair distance = limit ± margin)
    const inside = [{ descriptor: base }, { descriptor: vectorAtDistance(rand, base, limit - 0.01) }];
    expect(buildTemplate(inside).sampleCount).toBe(2);
    const outside = [{ descriptor: base }, { descriptor: vectorAtDistance(rand, base, limit + 0.01) }];
    expect(catchError(() => buildTemplate(outside)).reason).toBe('INCONSISTENT_SAMPLES');
    // an explicit limit overrides it
    expect(buildTemplate(outside, { maxPairDistance: limit + 0.05 }).sampleCount).toBe(2);
  });
});

describe('templateToTemplateDistance', () => {
  it('compares templates of one model and refuses different models', () => {
    const a = buildTemplate(samplesOf(person(), 2));
    const b = buildTemplate(samplesOf(person(), 2));
    expect(templateToTemplateDistance(a, b)).toBeGreaterThan(1);
    const err = catchError(() => templateToTemplateDistance(a, { ...b, modelId: 'other-model/v2' }));
    expect(err.kind).toBe('unprocessable');
    expect(err.reason).toBe('MODEL_MISMATCH');
  });
});
