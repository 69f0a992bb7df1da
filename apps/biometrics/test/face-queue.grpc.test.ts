/**
 * Capacity: with one inference worker and room for one waiting request, a burst of calls is answered
 * RESOURCE_EXHAUSTED (INFERENCE_QUEUE_FULL, with retry advice) instead of queueing without limit, and
 * the service keeps serving afterwards.
 */
import { readFile } from 'node:fs/promises';
import { status } from '@grpc/grpc-js';
import { isDomainError } from '@guardian/domain';
import { errorInfoOf, isServiceError } from '@guardian/grpc-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtures, type FixtureCatalogue } from './fixtures/faces.js';
import { startBiometrics, type BiometricsHarness } from './face-harness.js';

let h: BiometricsHarness;
let fx: FixtureCatalogue;

beforeAll(async () => {
  fx = await loadFixtures();
  h = await startBiometrics({ BIOMETRICS_INFERENCE_WORKERS: '1', BIOMETRICS_INFERENCE_QUEUE: '1' });
}, 300_000);

afterAll(async () => {
  await h?.close();
});

describe('FaceService under load', () => {
  describe('Detect', () => {
    it('answers RESOURCE_EXHAUSTED with retry advice when the inference queue is full', async () => {
      const accessToken = await h.token('u-burst');
      const group = await readFile(fx.group.file);
      const status0 = await h.client.getStatus({});
      expect(status0).toMatchObject({ inferenceWorkers: 1, queueCapacity: 1 });

      const calls = Array.from({ length: 8 }, () =>
        h.client
          .detect(
            { image: { source: { $case: 'data', value: group } }, withAgeGender: true },
            { accessToken },
          )
          .then(
            () => ({ ok: true as const }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
      );
      const outcomes = await Promise.all(calls);
      const refused = outcomes.filter((o) => !o.ok);
      expect(outcomes.filter((o) => o.ok).length).toBeGreaterThanOrEqual(1);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      for (const o of refused) {
        const error = (o as { error: unknown }).error;
        expect(isDomainError(error)).toBe(true);
        const cause = (error as { cause?: unknown }).cause;
        if (!isServiceError(cause)) throw new Error('expected a gRPC error');
        expect(cause.code).toBe(status.RESOURCE_EXHAUSTED);
        const info = errorInfoOf(cause);
        expect(info?.reason).toBe('INFERENCE_QUEUE_FULL');
        expect(info?.retryAfterMs).toBeGreaterThan(0);
      }
      expect(h.internals.pool.stats().rejectedQueueFull).toBe(refused.length);

      // and it still serves once the burst is over
      const after = await h.client.detect(
        { image: { source: { $case: 'data', value: group } }, withAgeGender: false },
        { accessToken },
      );
      expect(after.faces.length).toBe(fx.group.faces);
    });
  });
});
