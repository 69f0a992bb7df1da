/**
 * Two replicas of biometrics on one database and one event stream: the second loads the existing
 * templates into its index at start, then follows the first one's enrollments and deletions through
 * `biometric.enrolled|removed`. Also: templates of another model are refused, never compared.
 */
import { FACEAPI_MODEL_ID } from '../src/services/template.js';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { status } from '@grpc/grpc-js';
import { isDomainError } from '@guardian/domain';
import { errorInfoOf, isServiceError } from '@guardian/grpc-kit';
import { waitFor } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtures, type FixtureCatalogue } from './fixtures/faces.js';
import { startBiometrics, type BiometricsHarness } from './face-harness.js';

let r1: BiometricsHarness;
let r2: BiometricsHarness | undefined;
let fx: FixtureCatalogue;
const photo = async (id: string) => ({
  source: { $case: 'data' as const, value: await readFile(fx.people.find((p) => p.id === id)!.file) },
});

beforeAll(async () => {
  fx = await loadFixtures();
  r1 = await startBiometrics({
    BIOMETRICS_INFERENCE_WORKERS: '1',
    BIOMETRICS_TEMPLATE_KEY: randomBytes(32).toString('base64'),
  });
}, 300_000);

afterAll(async () => {
  await r2?.close();
  await r1?.close();
});

describe('FaceService replicas', () => {
  describe('index', () => {
    it('is loaded at start and kept in sync with the other replica through events', async () => {
      const first = 'u-rep-first';
      await r1.client.enroll(
        { largestFace: false, userId: first, images: [await photo('s1-f0')] },
        { accessToken: await r1.token(first) },
      );

      r2 = await startBiometrics({
        BIOMETRICS_INFERENCE_WORKERS: '1',
        MONGO_DB: r1.config.MONGO_DB,
        EVENTS_STREAM: r1.config.EVENTS_STREAM,
        EVENTS_SUBJECT_PREFIX: r1.config.EVENTS_SUBJECT_PREFIX,
        BIOMETRICS_TEMPLATE_KEY: r1.config.BIOMETRICS_TEMPLATE_KEY!,
      });
      expect(r2.internals.index.has(first)).toBe(true);

      const second = 'u-rep-second';
      await r1.client.enroll(
        { largestFace: false, userId: second, images: [await photo('s3-f0')] },
        { accessToken: await r1.token(second) },
      );
      await waitFor(() => r2!.internals.index.has(second), { what: 'enrollment seen by replica 2' });
      const found = await r2.client.identify(
        { image: await photo('s3-f0'), topK: 1 },
        { accessToken: await r2.token('u-admin', 'admin') },
      );
      expect(found.candidates.map((c) => c.userId)).toEqual([second]);

      await r1.client.deleteEnrollment({ userId: second }, { accessToken: await r1.token(second) });
      await waitFor(() => !r2!.internals.index.has(second), { what: 'deletion seen by replica 2' });
      expect(r2.internals.index.has(first)).toBe(true);
    });
  });

  describe('model upgrade', () => {
    it('refuses to verify against a template of another model and keeps it out of the index', async () => {
      const userId = 'u-old-model';
      const now = new Date();
      await r1.internals.templates.model.create({
        _id: userId,
        modelId: 'faceapi-0.9/old-recognition-net',
        sampleCount: 3,
        template: randomBytes(64),
        keyId: 'k1',
        rev: 1,
        createdAt: now,
        updatedAt: now,
      });
      const error = await r1.client
        .verifyForLogin({ largestFace: false, userId, image: await photo('s1-f0') })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isDomainError(error)).toBe(true);
      const cause = (error as { cause?: unknown }).cause;
      if (!isServiceError(cause)) throw new Error('expected a gRPC error');
      expect(cause.code).toBe(status.FAILED_PRECONDITION);
      expect(errorInfoOf(cause)?.reason).toBe('REENROLLMENT_REQUIRED');
      expect(r1.internals.index.has(userId)).toBe(false);

      // enrolling again replaces it with a current-model template
      const again = await r1.client.enroll(
        { largestFace: false, userId, images: [await photo('s1-f0')] },
        { accessToken: await r1.token(userId) },
      );
      expect(again.enrollment?.modelId).toBe(FACEAPI_MODEL_ID);
      expect(
        (await r1.client.verifyForLogin({ largestFace: false, userId, image: await photo('s1-f0') })).match,
      ).toBe(true);
    });
  });
});
