/**
 * FaceService through real gRPC (port 0) with real models on real photos, real NATS JetStream and a
 * real MongoDB-wire server. One service instance for the file; every test owns its user ids and IPs.
 */
import { FACEAPI_MODEL_ID } from '../src/services/template.js';
import { readFile } from 'node:fs/promises';
import { status } from '@grpc/grpc-js';
import { DomainError } from '@guardian/domain';
import { waitFor } from '@guardian/testkit';
import { CachedJwks, verifyJwt } from '@guardian/auth';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtures, type FixtureCatalogue } from './fixtures/faces.js';
import { eventsOf, failure, startBiometrics, type BiometricsHarness } from './face-harness.js';

let h: BiometricsHarness;
let fx: FixtureCatalogue;
const bytes = new Map<string, Buffer>();

beforeAll(async () => {
  fx = await loadFixtures();
  h = await startBiometrics({
    // growing delays after 2 failures (1 ms, 2 ms: expired by the next call), lock at 3 failures
    BIOMETRICS_FACE_USER_DELAY_AFTER: '2',
    BIOMETRICS_FACE_USER_DELAY_BASE_MS: '1',
    BIOMETRICS_FACE_USER_LOCK_AFTER: '3',
    BIOMETRICS_FACE_USER_LOCK_BASE_MS: '600000',
  });
  for (const file of [
    ...fx.people.map((p) => p.file),
    ...fx.variants.map((v) => v.file),
    fx.group.file,
    fx.nonFace,
    fx.randomBytes,
    fx.truncatedJpeg,
    fx.tiny40,
    fx.smallFace,
    fx.wide,
    fx.bomb,
    fx.large,
    fx.oversized,
  ]) {
    bytes.set(file, await readFile(file));
  }
}, 300_000);

afterAll(async () => {
  await h?.close();
});

const person = (id: string) => {
  const p = fx.people.find((x) => x.id === id);
  if (!p) throw new Error(`no fixture person ${id}`);
  return { data: bytes.get(p.file)! };
};
const variant = (kind: string) => ({ data: bytes.get(fx.variants.find((v) => v.kind === kind)!.file)! });
const file = (path: string) => ({ data: bytes.get(path)! });
const img = (x: { data: Buffer }) => ({ source: { $case: 'data' as const, value: x.data } });

const A = 's1-f0'; // people[0]; its variants are genuine pairs
const B = 's3-f0';
const C = 's5-f0';

describe('FaceService', () => {
  describe('GetStatus', () => {
    it('reports the wasm backend, in health details and as a metric', async () => {
      const s = await h.client.getStatus({});
      expect(s.inferenceBackend).toBe('wasm');
      expect(s.inferenceWorkers).toBe(2);
      expect(s.modelId).toBe(FACEAPI_MODEL_ID);
      const metrics = await h.registry.metrics();
      expect(metrics).toMatch(/biometrics_inference_backend\{[^}]*backend="wasm"[^}]*\} 1/);
    });
  });

  describe('Enroll', () => {
    it('creates a template from three photos, then replaces it, emitting biometric.enrolled each time', async () => {
      const userId = 'u-enroll-a';
      const token = await h.token(userId);
      const first = await h.client.enroll(
        {
          largestFace: false,
          userId,
          images: [img(person(A)), img(variant('jpeg-q60')), img(variant('resized'))],
        },
        { accessToken: token },
      );
      expect(first.created).toBe(true);
      expect(first.enrollment).toMatchObject({
        userId,
        sampleCount: 3,
        modelId: FACEAPI_MODEL_ID,
      });
      expect(first.faces).toHaveLength(3);
      for (const r of first.faces) expect(r.width).toBeGreaterThan(40);
      expect(first.possibleDuplicateOf).toEqual([]);

      const again = await h.client.enroll(
        { largestFace: false, userId, images: [img(person(A))] },
        { accessToken: token },
      );
      expect(again.created).toBe(false);
      expect(again.enrollment?.sampleCount).toBe(1);
      expect(again.enrollment!.createdAt!.getTime()).toBe(first.enrollment!.createdAt!.getTime());

      const got = await h.client.getEnrollment({ userId }, { accessToken: token });
      expect(got).toMatchObject({ enrolled: true, enrollment: { sampleCount: 1 } });

      const events = await waitFor(() => {
        const found = eventsOf(h, 'biometric.enrolled', userId);
        return found.length >= 2 && found;
      });
      expect(events.map((e) => e.data.updated)).toEqual([false, true]);
      expect(events.map((e) => e.data.sampleCount)).toEqual([3, 1]);
      expect(new Set(events.map((e) => e.id)).size).toBe(2);
    });

    it('stores the template encrypted, never the photo', async () => {
      const userId = 'u-enroll-stored';
      await h.client.enroll(
        { largestFace: false, userId, images: [img(person(B))] },
        { accessToken: await h.token(userId) },
      );
      const raw = await h.internals.templates.model.collection.findOne({ _id: userId } as never);
      expect(raw).toBeTruthy();
      const keys = Object.keys(raw!).sort();
      expect(keys).toEqual(expect.arrayContaining(['template', 'keyId', 'modelId', 'sampleCount']));
      expect(keys.some((k) => /image|photo|descriptor|embedding/i.test(k))).toBe(false);
      // 2 (header) + key id + 12 (iv) + 16 (tag) + 512 (128 float32)
      expect((raw!.template as { buffer: Uint8Array }).buffer.length).toBe(
        2 + String(raw!.keyId).length + 12 + 16 + 512,
      );
    });

    it('lets an admin enroll another user; refuses other users and anonymous callers', async () => {
      const denied = await failure(
        h.client.enroll(
          { largestFace: false, userId: 'u-victim', images: [img(person(C))] },
          { accessToken: await h.token('u-mallory') },
        ),
      );
      expect(denied).toMatchObject({ code: status.PERMISSION_DENIED, reason: 'PERMISSION_DENIED' });
      const anonymous = await failure(
        h.client.enroll({ largestFace: false, userId: 'u-victim', images: [img(person(C))] }),
      );
      expect(anonymous).toMatchObject({ code: status.UNAUTHENTICATED, reason: 'MISSING_TOKEN' });
      // An admin enrolls only a user account still awaiting its first face (identity's current view).
      const admin = await h.token('u-admin', 'admin');
      h.accounts.set('u-victim', { role: 'user', status: 'pending_enrollment' });
      const byAdmin = await h.client.enroll(
        { largestFace: false, userId: 'u-victim', images: [img(person(C))] },
        { accessToken: admin },
      );
      expect(byAdmin.created).toBe(true);
      const read = await failure(
        h.client.getEnrollment({ userId: 'u-victim' }, { accessToken: await h.token('u-mallory') }),
      );
      expect(read.code).toBe(status.PERMISSION_DENIED);
    });

    it("replaces one's own face only within 5 minutes of signing in (a stale or stolen session cannot)", async () => {
      const userId = 'u-step-up';
      const first = await h.client.enroll(
        { largestFace: false, userId, images: [img(person(A))] },
        { accessToken: await h.token(userId, 'user', { signedInSecAgo: 3600 }) },
      );
      expect(first.created).toBe(true); // the first template needs no fresh sign-in
      const stale = await h.token(userId, 'user', { signedInSecAgo: 6 * 60 });
      expect(
        await failure(
          h.client.enroll({ largestFace: false, userId, images: [img(person(B))] }, { accessToken: stale }),
        ),
      ).toMatchObject({ code: status.PERMISSION_DENIED, reason: 'STEP_UP_REQUIRED' });
      // The template is unchanged: the original face still verifies.
      expect(
        (await h.client.verifyForLogin({ largestFace: false, userId, image: img(person(A)) })).match,
      ).toBe(true);
      const fresh = await h.token(userId, 'user', { signedInSecAgo: 60 });
      const replaced = await h.client.enroll(
        { largestFace: false, userId, images: [img(person(B))] },
        { accessToken: fresh },
      );
      expect(replaced.created).toBe(false);
    });

    it("refuses an admin's face on an account that can sign in: the takeover of a user, an admin or the master", async () => {
      const admin = await h.token('u-admin-attacker', 'admin');
      const master = await h.token('u-master-2', 'master');
      // Each account as identity sees it now; the attacker puts their own face (B) on it.
      h.accounts.set('u-active-user', { role: 'user', status: 'active' });
      h.accounts.set('u-other-admin', { role: 'admin', status: 'active' });
      h.accounts.set('u-the-master', { role: 'master', status: 'active' });
      h.accounts.set('u-pending-admin', { role: 'admin', status: 'pending_enrollment' });
      const attempts: Array<[string, string, number, string]> = [
        [admin, 'u-active-user', status.PERMISSION_DENIED, 'ENROLLMENT_NOT_ALLOWED'],
        [admin, 'u-other-admin', status.PERMISSION_DENIED, 'ENROLLMENT_NOT_ALLOWED'],
        [admin, 'u-the-master', status.PERMISSION_DENIED, 'ENROLLMENT_NOT_ALLOWED'],
        // A pending account of another role is not the exception either.
        [admin, 'u-pending-admin', status.PERMISSION_DENIED, 'ENROLLMENT_NOT_ALLOWED'],
        [admin, 'u-nobody', status.NOT_FOUND, 'USER_NOT_FOUND'],
        // The master is no exception for other accounts.
        [master, 'u-active-user', status.PERMISSION_DENIED, 'ENROLLMENT_NOT_ALLOWED'],
      ];
      for (const [accessToken, userId, code, reason] of attempts) {
        const refused = await failure(
          h.client.enroll({ largestFace: false, userId, images: [img(person(B))] }, { accessToken }),
        );
        expect(refused, userId).toMatchObject({ code, reason });
      }
      // No template was written for any of them.
      for (const [, userId] of attempts) expect(h.internals.index.has(userId)).toBe(false);
    });

    it("takes identity's enrollment token for its own account only, and for nothing but Enroll", async () => {
      const token = await h.enrollmentToken('u-face-only');
      const own = await h.client.enroll(
        { largestFace: false, userId: 'u-face-only', images: [img(person(C))] },
        { accessToken: token },
      );
      expect(own.created).toBe(true);
      const other = await failure(
        h.client.enroll(
          { largestFace: false, userId: 'u-someone-else', images: [img(person(C))] },
          { accessToken: token },
        ),
      );
      expect(other).toMatchObject({ code: status.PERMISSION_DENIED, reason: 'PERMISSION_DENIED' });
      const read = await failure(h.client.getEnrollment({ userId: 'u-face-only' }, { accessToken: token }));
      expect(read).toMatchObject({ code: status.UNAUTHENTICATED, reason: 'INVALID_TOKEN' });
      const forged = await failure(
        h.client.enroll(
          { largestFace: false, userId: 'u-face-only', images: [img(person(C))] },
          { accessToken: `${token.slice(0, -4)}AAAA` },
        ),
      );
      expect(forged).toMatchObject({ code: status.UNAUTHENTICATED, reason: 'INVALID_TOKEN' });
    });

    it('reports a possible duplicate account when the face is already enrolled by someone else', async () => {
      const original = 'u-dup-original';
      await h.client.enroll(
        { largestFace: false, userId: original, images: [img(person(A))] },
        { accessToken: await h.token(original) },
      );
      const second = 'u-dup-second';
      const r = await h.client.enroll(
        { largestFace: false, userId: second, images: [img(variant('webp'))] },
        { accessToken: await h.token(second) },
      );
      expect(r.possibleDuplicateOf.map((c) => c.userId)).toContain(original);
      expect(r.possibleDuplicateOf.map((c) => c.userId)).not.toContain(second);
      const event = await waitFor(() => eventsOf(h, 'biometric.enrolled', second)[0]);
      expect(event.data.possibleDuplicateOf).toContain(original);
    });

    it('answers each photo problem with its reason and the index of the photo', async () => {
      const userId = 'u-enroll-bad';
      const accessToken = await h.token(userId);
      const enroll = (images: { data: Buffer }[]) =>
        h.client.enroll({ largestFace: false, userId, images: images.map(img) }, { accessToken });

      expect(await failure(enroll([person(A), file(fx.group.file)]))).toMatchObject({
        code: status.FAILED_PRECONDITION,
        reason: 'MULTIPLE_FACES',
        metadata: expect.objectContaining({ imageIndex: '1' }),
      });
      expect(await failure(enroll([file(fx.nonFace)]))).toMatchObject({
        code: status.FAILED_PRECONDITION,
        reason: 'NO_FACE',
      });
      expect(await failure(enroll([file(fx.randomBytes)]))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        reason: 'UNSUPPORTED_FORMAT',
      });
      expect(await failure(enroll([file(fx.truncatedJpeg)]))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        reason: 'CORRUPT_IMAGE',
      });
      // The decoder's own text (libvips) never reaches the caller.
      const damaged = await enroll([file(fx.truncatedJpeg)]).then(
        () => new DomainError('invalid', 'UNEXPECTED', 'the damaged photo was accepted'),
        (e: unknown) => e as DomainError,
      );
      expect(damaged.message).toMatch(/damaged or truncated/);
      expect(damaged.message).not.toMatch(/vips|jpeg:|premature|\.c:\d/i);
      expect(await failure(enroll([file(fx.tiny40)]))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        reason: 'IMAGE_TOO_SMALL',
      });
      expect(await failure(enroll([file(fx.wide)]))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        reason: 'IMAGE_TOO_LARGE',
      });
      expect(await failure(enroll([file(fx.bomb)]))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        reason: 'IMAGE_TOO_LARGE',
      });
      expect(await failure(enroll([file(fx.oversized)]))).toMatchObject({
        code: status.OUT_OF_RANGE,
        reason: 'PAYLOAD_TOO_LARGE',
      });
      expect(await failure(enroll([file(fx.smallFace)]))).toMatchObject({
        code: status.FAILED_PRECONDITION,
        reason: 'FACE_TOO_SMALL',
      });
      expect(await failure(enroll([]))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        reason: 'SAMPLE_COUNT',
      });
      expect(await failure(enroll(Array.from({ length: 6 }, () => person(A))))).toMatchObject({
        reason: 'SAMPLE_COUNT',
      });
      const mixed = await failure(enroll([person(A), variant('jpeg-q60'), person(B)]));
      expect(mixed).toMatchObject({
        code: status.FAILED_PRECONDITION,
        reason: 'INCONSISTENT_SAMPLES',
        metadata: expect.objectContaining({ sampleIndex: '2' }),
      });
      const got = await h.client.getEnrollment({ userId }, { accessToken });
      expect(got.enrolled).toBe(false);
    });

    it('accepts base64 images', async () => {
      const userId = 'u-enroll-b64';
      const r = await h.client.enroll(
        {
          largestFace: false,
          userId,
          images: [{ source: { $case: 'base64', value: person(C).data.toString('base64') } }],
        },
        { accessToken: await h.token(userId) },
      );
      expect(r.created).toBe(true);
    });
  });

  describe('Verify', () => {
    const userId = 'u-verify';
    beforeAll(async () => {
      await h.client.enroll(
        {
          largestFace: false,
          userId,
          images: [img(person(A)), img(variant('jpeg-q60')), img(variant('resized'))],
        },
        { accessToken: await h.token(userId) },
      );
    });

    it("refuses a signed-in user checking faces against another user's template (no distance oracle)", async () => {
      const victim = 'u-oracle-victim';
      await h.client.enroll(
        { largestFace: false, userId: victim, images: [img(person(A))] },
        { accessToken: await h.token(victim) },
      );
      const probe = { largestFace: false, userId: victim, image: img(person(B)) };
      const mallory = await h.token('u-mallory-oracle');
      expect(await failure(h.client.verify(probe, { accessToken: mallory }))).toMatchObject({
        code: status.PERMISSION_DENIED,
        reason: 'PERMISSION_DENIED',
      });
      // The user themself and an admin may check.
      const own = await h.client.verify(probe, { accessToken: await h.token(victim) });
      expect(own.match).toBe(false);
      const byAdmin = await h.client.verify(
        { ...probe, image: img(person(A)) },
        { accessToken: await h.token('u-admin-check', 'admin') },
      );
      expect(byAdmin.match).toBe(true);
    });

    it('counts a self-check toward no lock and reports it as no sign-in attempt', async () => {
      const userId = 'u-self-checks';
      await h.client.enroll(
        { largestFace: false, userId, images: [img(person(C))] },
        { accessToken: await h.token(userId) },
      );
      const token = await h.token(userId);
      for (let i = 0; i < 4; i++)
        expect(
          (
            await h.client.verify(
              { largestFace: false, userId, image: img(person(A)) },
              { accessToken: token },
            )
          ).match,
        ).toBe(false);
      // Four misses would have locked sign-in here (lock after 3); a self-check is not a sign-in.
      expect(
        (await h.client.verifyForLogin({ largestFace: false, userId, image: img(person(C)) })).match,
      ).toBe(true);
      await waitFor(() => eventsOf(h, 'biometric.auth.succeeded', userId)[0]);
      expect(eventsOf(h, 'biometric.auth.failed', userId)).toEqual([]);
    });

    it('matches a genuine photo and returns a face assertion identity accepts', async () => {
      const r = await h.client.verifyForLogin({
        largestFace: false,
        userId,
        image: img(variant('flipped')),
        client: { ip: '203.0.113.10', userAgent: 'test-agent/1' },
      });
      expect(r.match).toBe(true);
      expect(r.distance).toBeLessThanOrEqual(r.threshold);
      expect(r.confidence).toBeGreaterThanOrEqual(r.thresholdConfidence);
      expect(r.face?.width).toBeGreaterThan(0);
      expect(r.faceAssertion).not.toBe('');

      // what identity does: biometrics' JWKS from GetJwks (cached), EdDSA, issuer/audience, age <= 120 s
      const jwks = new CachedJwks(async () => ({ keys: (await h.client.getJwks({})).jwks!.keys as JWK[] }));
      const payload = await verifyJwt(jwks, r.faceAssertion, {
        issuer: 'guardian-biometrics',
        audience: 'guardian-identity',
        maxTokenAgeSec: 120,
      });
      expect(payload.sub).toBe(userId);
      expect(typeof payload.jti).toBe('string');
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(120);
      expect(r.faceAssertionExpiresAt!.getTime()).toBeGreaterThan(Date.now());

      const event = await waitFor(() => eventsOf(h, 'biometric.auth.succeeded', userId)[0]);
      expect(event.data).toMatchObject({
        userId,
        client: { ip: '203.0.113.10', userAgent: 'test-agent/1' },
        assertionId: payload.jti,
      });
    });

    it('matches the genuine variants and refuses other people at the default threshold', async () => {
      for (const kind of ['webp', 'png-alpha', 'exif-rotated', 'gif']) {
        const r = await h.client.verifyForLogin({
          largestFace: false,
          userId,
          image: img(variant(kind)),
          client: { ip: '203.0.113.11', userAgent: '' },
        });
        expect(r.match, `${kind}: distance ${r.distance}`).toBe(true);
      }
      const other = await h.client.verifyForLogin({
        largestFace: false,
        userId,
        image: img(person(B)),
        client: { ip: '203.0.113.12', userAgent: 'ua' },
      });
      expect(other.match).toBe(false);
      expect(other.faceAssertion).toBe('');
      expect(other.distance).toBeGreaterThan(other.threshold);
      const failed = await waitFor(() => eventsOf(h, 'biometric.auth.failed', userId)[0]);
      expect(failed.data).toMatchObject({
        reason: 'NO_MATCH',
        attemptCount: 1,
        locked: false,
        client: { ip: '203.0.113.12', userAgent: 'ua' },
      });
    });

    it('answers NOT_ENROLLED for a user without a template', async () => {
      const e = await failure(
        h.client.verifyForLogin({ largestFace: false, userId: 'u-never-enrolled', image: img(person(A)) }),
      );
      expect(e).toMatchObject({ code: status.NOT_FOUND, reason: 'NOT_ENROLLED' });
    });

    it('reports photo problems without counting them as failures', async () => {
      const e = await failure(
        h.client.verifyForLogin({
          largestFace: false,
          userId,
          image: img(file(fx.nonFace)),
          client: { ip: '203.0.113.13', userAgent: '' },
        }),
      );
      expect(e).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'NO_FACE' });
      const event = await waitFor(() =>
        eventsOf(h, 'biometric.auth.failed', userId).find((x) => x.data.reason === 'NO_FACE'),
      );
      expect(event.data.attemptCount).toBe(0);
    });

    it('locks the face channel after repeated failures, with the count in the events and retry advice', async () => {
      const target = 'u-locked';
      await h.client.enroll(
        { largestFace: false, userId: target, images: [img(person(C))] },
        { accessToken: await h.token(target) },
      );
      const attempt = (who: { data: Buffer }) =>
        h.client.verifyForLogin({
          largestFace: false,
          userId: target,
          image: img(who),
          client: { ip: '198.51.100.7', userAgent: 'bot' },
        });
      for (let i = 0; i < 3; i++) expect((await attempt(person(A))).match).toBe(false);
      const locked = await failure(attempt(person(C)));
      expect(locked).toMatchObject({
        code: status.RESOURCE_EXHAUSTED,
        reason: 'FACE_LOCKED',
        metadata: expect.objectContaining({ scope: 'user', failures: '3' }),
      });
      expect(locked.retryAfterMs).toBeGreaterThan(500_000);
      const events = await waitFor(() => {
        const found = eventsOf(h, 'biometric.auth.failed', target);
        return found.length >= 3 && found;
      });
      expect(events.map((e) => e.data.attemptCount)).toEqual([1, 2, 3]);
      expect(events.map((e) => e.data.locked)).toEqual([false, false, true]);
      expect(events[2]!.data.retryAfterMs).toBeGreaterThan(0);
    });
  });

  describe('who may ask for a face sign-in decision', () => {
    it('gives sign-in decisions only to Guardian services (a self-check mints nothing), and believes the client IP they report', async () => {
      const userId = 'u-service-check';
      await h.client.enroll(
        { largestFace: false, userId, images: [img(person(C))] },
        { accessToken: await h.token(userId) },
      );
      const stranger = h.clientAs();
      const impostor = h.clientAs('a-guessed-service-token-of-enough-length-0123');
      try {
        for (const direct of [stranger, impostor]) {
          const attempts = [
            () => direct.verifyForLogin({ largestFace: false, userId, image: img(person(C)) }),
            () => direct.identifyForLogin({ largestFace: false, image: img(person(C)) }),
          ];
          for (const attempt of attempts)
            expect(await failure(attempt())).toMatchObject({
              code: status.PERMISSION_DENIED,
              reason: 'SERVICE_CREDENTIALS_REQUIRED',
            });
        }
        // A signed-in user may check their own face directly: a self-check, which signs nothing in.
        const self = await stranger.verify(
          { largestFace: false, userId, image: img(person(C)) },
          { accessToken: await h.token(userId) },
        );
        expect(self.match).toBe(true);
        expect(self).not.toHaveProperty('faceAssertion');
        // identity (the service) is believed.
        const viaIdentity = await h.client.verifyForLogin({
          largestFace: false,
          userId,
          image: img(person(C)),
          client: { ip: '198.51.100.250', userAgent: 'browser' },
        });
        expect(viaIdentity.match).toBe(true);
        const succeeded = await waitFor(() => eventsOf(h, 'biometric.auth.succeeded', userId)[0]);
        expect(succeeded.data.client).toMatchObject({ ip: '198.51.100.250', userAgent: 'browser' });
      } finally {
        stranger.close();
        impostor.close();
      }
    });
  });

  describe('Verify under a burst of parallel attempts', () => {
    it('compares no more wrong faces than the lock allows when 50 arrive at once', async () => {
      const target = 'u-burst';
      await h.client.enroll(
        { largestFace: false, userId: target, images: [img(person(C))] },
        { accessToken: await h.token(target) },
      );
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          h.client
            .verifyForLogin({
              largestFace: false,
              userId: target,
              image: img(person(A)),
              client: { ip: `198.51.100.${100 + i}`, userAgent: 'burst' },
            })
            .then(
              (r) => (r.match ? 'MATCH' : 'NO_MATCH'),
              (e: unknown) => (e as { reason?: string }).reason ?? String(e),
            ),
        ),
      );
      // lockAfter is 3 here: each attempt is counted in the same step that admits it.
      const compared = answers.filter((a) => a === 'NO_MATCH').length;
      expect(compared).toBeGreaterThanOrEqual(1);
      expect(compared).toBeLessThanOrEqual(3);
      expect(
        answers
          .filter((a) => a !== 'NO_MATCH')
          .every((a) => a === 'FACE_LOCKED' || a === 'TOO_MANY_ATTEMPTS'),
      ).toBe(true);
      expect(
        await failure(h.client.verifyForLogin({ largestFace: false, userId: target, image: img(person(C)) })),
      ).toMatchObject({
        reason: 'FACE_LOCKED',
      });
    });
  });

  describe('Identify', () => {
    it('finds the enrolled user first, and says "not recognised" for a stranger (admin only)', async () => {
      const userId = 'u-identify';
      await h.client.enroll(
        { largestFace: false, userId, images: [img(person('s6-f0'))] },
        { accessToken: await h.token(userId) },
      );
      const admin = await h.token('u-admin', 'admin');
      const found = await h.client.identify({ image: img(person('s6-f0')), topK: 3 }, { accessToken: admin });
      expect(found.recognised).toBe(true);
      expect(found.candidates[0]?.userId).toBe(userId);
      expect(found.candidates.length).toBeLessThanOrEqual(3);

      const stranger = await h.client.identify(
        { image: img(person('s6-f2')), topK: 5 },
        { accessToken: admin },
      );
      expect(stranger).toMatchObject({ recognised: false, candidates: [] });

      const denied = await failure(
        h.client.identify({ image: img(person('s6-f0')), topK: 0 }, { accessToken: await h.token(userId) }),
      );
      expect(denied.code).toBe(status.PERMISSION_DENIED);
    });
  });

  describe('IdentifyForLogin', () => {
    const used = new Set(['s1-f0', 's3-f0', 's5-f0', 's5-f1', 's5-f2', 's5-f3', 's6-f0', 's6-f2']);

    it('signs in the one enrolled user the face matches, with an assertion naming them; strangers get no match', async () => {
      const fresh = fx.people.find((p) => !used.has(p.id))!;
      const userId = 'u-nameless-login';
      await h.client.enroll(
        { largestFace: false, userId, images: [person(fresh.id)].map(img) },
        { accessToken: await h.token(userId) },
      );

      const r = await h.client.identifyForLogin({
        largestFace: false,
        image: img(person(fresh.id)),
        client: { ip: '203.0.113.70', userAgent: 'kiosk/1' },
      });
      expect(r).toMatchObject({ match: true, userId });
      expect(r.confidence).toBeGreaterThanOrEqual(r.thresholdConfidence);
      const jwks = new CachedJwks(async () => ({ keys: (await h.client.getJwks({})).jwks!.keys as JWK[] }));
      const payload = await verifyJwt(jwks, r.faceAssertion, {
        issuer: 'guardian-biometrics',
        audience: 'guardian-identity',
      });
      expect(payload.sub).toBe(userId);
      const event = await waitFor(() => eventsOf(h, 'biometric.auth.succeeded', userId)[0]);
      expect(event.data).toMatchObject({ userId, client: { ip: '203.0.113.70', userAgent: 'kiosk/1' } });

      const stranger = await h.client.identifyForLogin({
        largestFace: false,
        image: img(person('s6-f2')),
        client: { ip: '203.0.113.71', userAgent: '' },
      });
      expect(stranger).toMatchObject({ match: false, userId: '', faceAssertion: '', confidence: 0 });
      const failed = await waitFor(() =>
        eventsOf(h, 'biometric.auth.failed', 'unidentified').find(
          (e) => e.data.client?.ip === '203.0.113.71',
        ),
      );
      expect(failed.data).toMatchObject({ userId: '', reason: 'NO_MATCH', ipAttemptCount: 1 });
    });

    it('refuses a face enrolled by two accounts (they must sign in by name) and reports photo problems', async () => {
      // Person A is enrolled by several users in this file (Verify, duplicate check).
      await h.client.enroll(
        { largestFace: false, userId: 'u-twin-1', images: [img(person(A))] },
        { accessToken: await h.token('u-twin-1') },
      );
      const r = await h.client.identifyForLogin({
        largestFace: false,
        image: img(person(A)),
        client: { ip: '203.0.113.72', userAgent: '' },
      });
      expect(r).toMatchObject({ match: false, userId: '', faceAssertion: '' });
      const none = await failure(
        h.client.identifyForLogin({
          largestFace: false,
          image: img(file(fx.nonFace)),
          client: { ip: '203.0.113.72', userAgent: '' },
        }),
      );
      expect(none).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'NO_FACE' });
    });
  });

  describe('Compare', () => {
    it('says same person for a re-encoded photo, with thresholds and both rectangles', async () => {
      const accessToken = await h.token('u-compare');
      const same = await h.client.compare(
        { largestFace: false, image1: img(person(A)), image2: img(variant('jpeg-q60')) },
        { accessToken },
      );
      expect(same.samePerson).toBe(true);
      expect(same.confidence).toBeGreaterThan(same.thresholds!.fmr1e4);
      expect(same.thresholds!.fmr1e3).toBeLessThan(same.thresholds!.fmr1e4);
      expect(same.thresholds!.fmr1e4).toBeLessThan(same.thresholds!.fmr1e5);
      expect(same.face1?.width).toBeGreaterThan(0);
      expect(same.face2?.width).toBeGreaterThan(0);

      const different = await h.client.compare(
        { largestFace: false, image1: img(person(A)), image2: img(person(B)) },
        { accessToken },
      );
      expect(different.samePerson).toBe(false);
      expect(different.confidence).toBeLessThan(different.thresholds!.fmr1e3);
      expect(
        await failure(
          h.client.compare(
            { largestFace: false, image1: img(person(A)), image2: img(file(fx.group.file)) },
            { accessToken },
          ),
        ),
      ).toMatchObject({
        reason: 'MULTIPLE_FACES',
        metadata: expect.objectContaining({ imageIndex: '1' }),
      });
    });

    it('takes the largest face of a group photo when asked, and says which one it used', async () => {
      const accessToken = await h.token('u-compare-group');
      const detected = await h.client.detect(
        { image: img(file(fx.group.file)), withAgeGender: false },
        { accessToken },
      );
      expect(detected.faces.length).toBeGreaterThan(1);
      type Rect = { left: number; top: number; width: number; height: number };
      const area = (r: Rect) => r.width * r.height;
      const iou = (a: Rect, b: Rect) => {
        const w = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
        const h2 = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
        const inter = Math.max(0, w) * Math.max(0, h2);
        return inter / (area(a) + area(b) - inter);
      };
      const boxes = detected.faces.map((f) => f.rectangle!);
      const largest = boxes.reduce((a, b) => (area(b) > area(a) ? b : a));
      const r = await h.client.compare(
        { largestFace: true, image1: img(person(A)), image2: img(file(fx.group.file)) },
        { accessToken },
      );
      // Compare's detector may box a face a little differently from Detect's: the same face overlaps
      // most, and no other face is the one used.
      expect(iou(r.face2!, largest)).toBeGreaterThan(0.3);
      for (const other of boxes.filter((b) => b !== largest)) expect(iou(r.face2!, other)).toBeLessThan(0.1);
    });

    it('accepts a phone-sized photo over 4096 px (downscaled), with the face in original pixels', async () => {
      const accessToken = await h.token('u-compare-large');
      const r = await h.client.compare(
        { largestFace: false, image1: img(person(A)), image2: img(file(fx.large)) },
        { accessToken },
      );
      expect(r.samePerson).toBe(true);
      expect(r.face2!.width).toBeGreaterThan(4 * r.face1!.width);
      expect(r.face2!.left + r.face2!.width).toBeLessThanOrEqual(6000);
    });
  });

  describe('Detect and AnalyzeExpressions', () => {
    it('finds every face with 68 landmarks, expressions and optional age/gender', async () => {
      const accessToken = await h.token('u-detect');
      const r = await h.client.detect(
        { image: img(file(fx.group.file)), withAgeGender: true },
        { accessToken },
      );
      expect(r.faces.length).toBe(fx.group.faces);
      for (const f of r.faces) {
        expect(f.landmarks).toHaveLength(68);
        const sum = Object.values(f.expressions!).reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(1, 1);
        expect(f.age).toBeGreaterThan(0);
        expect(['male', 'female']).toContain(f.gender);
      }
      const plain = await h.client.detect({ image: img(person(A)), withAgeGender: false }, { accessToken });
      expect(plain.faces).toHaveLength(1);
      expect(plain.faces[0]!.age).toBeUndefined();
      const none = await h.client.detect(
        { image: img(file(fx.nonFace)), withAgeGender: false },
        { accessToken },
      );
      expect(none.faces).toEqual([]);

      const expr = await h.client.analyzeExpressions({ image: img(person(A)) }, { accessToken });
      expect(expr.faces).toHaveLength(1);
      expect(['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised']).toContain(
        expr.faces[0]!.dominantExpression,
      );
      expect(
        await failure(h.client.analyzeExpressions({ image: img(file(fx.nonFace)) }, { accessToken })),
      ).toMatchObject({ reason: 'NO_FACE' });
      expect(await failure(h.client.detect({ image: img(person(A)), withAgeGender: false }))).toMatchObject({
        code: status.UNAUTHENTICATED,
      });
    });
  });

  describe('DeleteEnrollment', () => {
    it('erases the template and the index row, emits biometric.removed once, and is idempotent', async () => {
      const userId = 'u-delete';
      const accessToken = await h.token(userId);
      await h.client.enroll({ largestFace: false, userId, images: [img(person('s5-f1'))] }, { accessToken });
      expect(h.internals.index.has(userId)).toBe(true);

      expect(
        (await failure(h.client.deleteEnrollment({ userId }, { accessToken: await h.token('u-other') })))
          .code,
      ).toBe(status.PERMISSION_DENIED);
      expect(await h.client.deleteEnrollment({ userId }, { accessToken })).toEqual({ deleted: true });
      expect(await h.client.deleteEnrollment({ userId }, { accessToken })).toEqual({ deleted: false });
      expect(h.internals.index.has(userId)).toBe(false);
      expect(await h.client.getEnrollment({ userId }, { accessToken })).toMatchObject({ enrolled: false });
      expect(
        await failure(h.client.verifyForLogin({ largestFace: false, userId, image: img(person('s5-f1')) })),
      ).toMatchObject({
        reason: 'NOT_ENROLLED',
      });

      const removed = await waitFor(() => eventsOf(h, 'biometric.removed', userId)[0]);
      expect(removed.data.reason).toBe('user_request');
      // give a duplicate the chance to show up behind a later event
      await h.publish('identity.user.updated', { userId: 'u-fence', changedFields: [] } as never, 'u-fence');
      await waitFor(() => h.events.some((e) => e.subject === 'u-fence'));
      expect(eventsOf(h, 'biometric.removed', userId)).toHaveLength(1);
    });
  });

  describe('identity.user.deleted', () => {
    it("erases the deleted user's template and index row, once, whatever the redeliveries", async () => {
      const userId = 'u-gone';
      await h.client.enroll(
        { largestFace: false, userId, images: [img(person('s5-f2'))] },
        { accessToken: await h.token(userId) },
      );
      await h.publish('identity.user.deleted', { userId, deletedBy: 'u-admin' }, userId);
      await waitFor(() => !h.internals.index.has(userId), { what: 'index row removed' });
      const admin = await h.token('u-admin', 'admin');
      expect(await h.client.getEnrollment({ userId }, { accessToken: admin })).toMatchObject({
        enrolled: false,
      });
      const removed = await waitFor(() => eventsOf(h, 'biometric.removed', userId)[0]);
      expect(removed.data.reason).toBe('user_deleted');

      await h.publish('identity.user.deleted', { userId, deletedBy: 'u-admin' }, userId); // a second, distinct event
      await h.publish(
        'identity.user.updated',
        { userId: 'u-fence2', changedFields: [] } as never,
        'u-fence2',
      );
      await waitFor(
        () => h.events.filter((e) => e.type === 'identity.user.deleted' && e.subject === userId).length === 2,
      );
      await waitFor(
        async () =>
          (await h.internals.templates.model.collection.countDocuments({
            'pendingEvents.0': { $exists: true },
          })) === 0,
      );
      expect(eventsOf(h, 'biometric.removed', userId)).toHaveLength(1);
    });
  });

  describe('index sync across replicas', () => {
    it('applies biometric.enrolled|removed published by another replica', async () => {
      const userId = 'u-other-replica';
      // Another replica wrote the record and published the event: simulate by writing through this
      // replica's service and removing only the index row, then replaying the event.
      const start = h.internals.indexSync.applied;
      await h.client.enroll(
        { largestFace: false, userId, images: [img(person('s5-f3'))] },
        { accessToken: await h.token(userId) },
      );
      await waitFor(() => h.internals.indexSync.applied > start, { what: 'own event applied' });
      h.internals.index.remove(userId);
      const before = h.internals.indexSync.applied;
      await h.publish(
        'biometric.enrolled',
        {
          userId,
          modelId: FACEAPI_MODEL_ID,
          sampleCount: 1,
          updated: false,
          possibleDuplicateOf: [],
        },
        userId,
      );
      await waitFor(() => h.internals.indexSync.applied > before && h.internals.index.has(userId), {
        what: 'index row restored',
      });
    });
  });
});
