/**
 * FaceVerifyService decisions with hand-made fakes of the pipeline and repositories (no models, no
 * database): throttling by user and by IP, what is recorded and emitted, the assertion's claims.
 */
import { DomainError } from '@guardian/domain';
import { decodePayload, type PendingEvent } from '@guardian/events';
import { KeyRing } from '@guardian/auth';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FaceAttemptRecord } from '../repositories/face-attempt.repository.js';
import type { EnrolledRecord } from '../repositories/template.repository.js';
import type { AttemptRecord, ThrottlePolicy } from './face-throttle.js';
import { FaceVerifyService } from './face-verify.service.js';
import { randomUnitVector, seededRandom, vectorAtDistance } from './matching-testkit.js';
import { verifyThreshold } from './matching.js';
import { FACEAPI_MODEL_ID } from './template.js';

const rand = seededRandom(7);
const ALICE = randomUnitVector(rand);
const BOB = randomUnitVector(rand);
/** A photo of Alice between the 3-photo and the 1-photo thresholds: the template's size decides. */
const BETWEEN = vectorAtDistance(rand, ALICE, (verifyThreshold(1) + verifyThreshold(3)) / 2);
const lenient: ThrottlePolicy = {
  resetAfterMs: 3_600_000,
  delayAfter: 100,
  delayBaseMs: 1,
  delayMaxMs: 1,
  lockAfter: 100,
  lockBaseMs: 1,
  lockMaxMs: 1,
  resetOnSuccess: true,
};

let keys: KeyRing;
beforeAll(async () => {
  keys = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
});

function setup(policies: { user?: Partial<ThrottlePolicy>; ip?: Partial<ThrottlePolicy> } = {}) {
  const attempts: (Omit<FaceAttemptRecord, 'pendingEvents'> & {
    events: PendingEvent[];
    counted: boolean;
  })[] = [];
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const enrolled = new Set(['alice', 'carol', 'alice3']);
  // The throttle windows as ThrottleWindows keeps them: per user successes and failures, per IP
  // failures; an admitted attempt is counted as a failure at once and settled later.
  type Entry = { at: Date; outcome: 'success' | 'failure'; ref?: number };
  const windows = new Map<string, Entry[]>();
  const push = (key: string, entry: Entry) => windows.set(key, [...(windows.get(key) ?? []), entry]);
  const read = (key: string, from: Date, outcomes: string[]): AttemptRecord[] =>
    (windows.get(key) ?? [])
      .filter((e) => e.at > from && outcomes.includes(e.outcome))
      .map(({ at, outcome }) => ({ at, outcome }));
  let refs = 0;
  const service = new FaceVerifyService({
    pipeline: {
      singleFace: async (input) => {
        if (input === 'no-face') throw new DomainError('unprocessable', 'NO_FACE', 'no face');
        return {
          descriptor: input === 'alice-photo' ? ALICE : input === 'alice-between' ? BETWEEN : BOB,
          box: { x: 1, y: 2, width: 100, height: 100 },
          score: 0.9,
        };
      },
    },
    templates: {
      findEnrolled: async (userId) =>
        enrolled.has(userId)
          ? ({
              _id: userId,
              modelId: FACEAPI_MODEL_ID,
              sampleCount: userId === 'alice3' ? 3 : 1,
              template: Buffer.alloc(0),
              keyId: 'k',
            } as unknown as EnrolledRecord)
          : null,
    },
    attempts: {
      record: async (attempt, events = [], counted = true) => {
        attempts.push({ ...attempt, events, counted });
        const { at, outcome } = attempt;
        if (counted && (outcome === 'success' || outcome === 'failure') && attempt.userId)
          push(`user:${attempt.userId}`, { at, outcome });
        if (counted && outcome === 'failure' && attempt.ip) push(`ip:${attempt.ip}`, { at, outcome });
      },
      reserve: async (userId, ip, at, checks) => {
        const subject = userId ? read(`user:${userId}`, checks.user.since, ['success', 'failure']) : [];
        const ipRecords = ip ? read(`ip:${ip}`, checks.ip.since, ['failure']) : [];
        const refusedBy =
          userId && !checks.user.admits(subject) ? 'subject' : !checks.ip.admits(ipRecords) ? 'ip' : null;
        if (refusedBy) return { admitted: false, refusedBy, subject, ip: ipRecords };
        const ref = ++refs;
        if (userId) push(`user:${userId}`, { at, outcome: 'failure', ref });
        if (ip) push(`ip:${ip}`, { at, outcome: 'failure', ref });
        return {
          admitted: true,
          subject,
          ip: ipRecords,
          settle: async (outcome) => {
            if (outcome === 'failure') return;
            for (const [key, entries] of windows)
              windows.set(
                key,
                entries.flatMap((e) =>
                  e.ref !== ref
                    ? [e]
                    : outcome === 'success' && key.startsWith('user:')
                      ? [{ ...e, outcome }]
                      : [],
                ),
              );
          },
        };
      },
      forUser: async (userId, from) => read(`user:${userId}`, from, ['success', 'failure']),
      forIp: async (ip, from) => read(`ip:${ip}`, from, ['failure']),
    },
    vault: { open: () => ALICE.slice() },
    index: { search: () => [], size: 0 },
    // A capture passes when its session is 'live-<descriptor photo>', and is a still otherwise.
    liveness: {
      check: async (input) => {
        const [kind, photo] = input.session.split(':');
        if (kind !== 'live')
          return { sessionId: input.session, decision: 'retry', check: 'MOVE_NOT_SEEN', faces: [] };
        return {
          sessionId: input.session,
          decision: 'pass',
          check: 'PASSED',
          faces: [
            {
              descriptor: photo === 'alice' ? ALICE : BOB,
              box: { x: 1, y: 2, width: 100, height: 100 },
              score: 0.9,
            },
          ],
        };
      },
    },
    assertionKeys: keys,
    policies: {
      user: { ...lenient, ...policies.user },
      ip: { ...lenient, resetOnSuccess: false, ...policies.ip },
    },
    assertionTtlSec: 60,
    modelId: FACEAPI_MODEL_ID,
    now: () => new Date((clock += 1_000)),
  });
  const events = () => attempts.flatMap((a) => a.events);
  const windowOf = (key: string) => (windows.get(key) ?? []).map((e) => e.outcome);
  return { service, attempts, events, windowOf };
}

const verifyError = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as DomainError,
  );

describe('FaceVerifyService', () => {
  describe('verify', () => {
    it('signs a single-use assertion on a match and emits biometric.auth.succeeded with it', async () => {
      const { service, events } = setup();
      const r = await service.verify(
        'alice',
        { image: 'alice-photo' },
        { ip: '192.0.2.1', userAgent: 'ua' },
        { requestId: 'req-1' },
      );
      expect(r.match).toBe(true);
      const claims = decodeJwt(r.assertion!.token);
      expect(claims).toMatchObject({
        iss: 'guardian-biometrics',
        aud: 'guardian-identity',
        sub: 'alice',
        jti: r.assertion!.jti,
      });
      expect(claims.exp! - claims.iat!).toBe(60);
      const [event] = events();
      expect(event).toMatchObject({ type: 'biometric.auth.succeeded', subject: 'alice', requestId: 'req-1' });
      expect(decodePayload('biometric.auth.succeeded', event!.data)).toMatchObject({
        assertionId: r.assertion!.jti,
        client: { ip: '192.0.2.1', userAgent: 'ua' },
      });
    });

    it('holds a template made from more photos to its stricter threshold (same FMR)', async () => {
      const { service } = setup();
      const client = { ip: '192.0.2.9', userAgent: 'ua' };
      expect(verifyThreshold(3)).toBeLessThan(verifyThreshold(1));
      const one = await service.verify('alice', { image: 'alice-between' }, client, {});
      expect(one).toMatchObject({ match: true, threshold: verifyThreshold(1) });
      const three = await service.verify('alice3', { image: 'alice-between' }, client, {});
      expect(three).toMatchObject({ match: false, threshold: verifyThreshold(3) });
    });

    it('counts a success in the user window only when it ends a failure chain', async () => {
      const { service, attempts, windowOf } = setup({
        user: { delayAfter: 2, delayBaseMs: 1, delayMaxMs: 1 },
      });
      const client = { ip: '192.0.2.9', userAgent: '' };
      expect((await service.verify('alice', { image: 'alice-photo' }, client, {})).match).toBe(true);
      expect((await service.verify('alice', { image: 'bob-photo' }, client, {})).match).toBe(false);
      expect((await service.verify('alice', { image: 'alice-photo' }, client, {})).match).toBe(true);
      expect(attempts.map((a) => a.outcome)).toEqual(['success', 'failure', 'success']);
      expect(windowOf('user:alice')).toEqual(['failure', 'success']);
      expect(windowOf('ip:192.0.2.9')).toEqual(['failure']);
      // The counted success ended the chain: one more failure is the first of a new chain.
      expect((await service.verify('alice', { image: 'bob-photo' }, client, {})).match).toBe(false);
      const [last] = attempts.at(-1)!.events;
      expect(decodePayload('biometric.auth.failed', last!.data)).toMatchObject({ attemptCount: 1 });
    });

    it('delays a user after repeated failures: TOO_MANY_ATTEMPTS, recorded as blocked, no event', async () => {
      const { service, attempts, events } = setup({
        user: { delayAfter: 2, delayBaseMs: 60_000, delayMaxMs: 60_000 },
      });
      const client = { ip: '192.0.2.2', userAgent: '' };
      expect((await service.verify('alice', { image: 'bob-photo' }, client, {})).match).toBe(false);
      expect((await service.verify('alice', { image: 'bob-photo' }, client, {})).match).toBe(false);
      const refused = await verifyError(service.verify('alice', { image: 'alice-photo' }, client, {}));
      expect(refused).toMatchObject({
        reason: 'TOO_MANY_ATTEMPTS',
        kind: 'rate_limited',
        metadata: { scope: 'user', failures: '2' },
      });
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(attempts.map((a) => a.outcome)).toEqual(['failure', 'failure', 'blocked']);
      expect(events()).toHaveLength(2);
    });

    it('locks a client IP that fails against many users, and the lock shows in the event', async () => {
      const { service, events } = setup({
        ip: { delayAfter: 3, lockAfter: 3, lockBaseMs: 600_000, lockMaxMs: 600_000 },
      });
      const client = { ip: '198.51.100.9', userAgent: 'bot' };
      await service.verify('alice', { image: 'bob-photo' }, client, {});
      await service.verify('carol', { image: 'bob-photo' }, client, {});
      await expect(service.verify('dave', { image: 'bob-photo' }, client, {})).rejects.toMatchObject({
        reason: 'NOT_ENROLLED',
      });
      const last = decodePayload('biometric.auth.failed', events().at(-1)!.data);
      expect(last).toMatchObject({
        reason: 'NOT_ENROLLED',
        attemptCount: 1,
        ipAttemptCount: 3,
        locked: true,
      });
      expect(last.retryAfterMs).toBeGreaterThan(0);
      await expect(service.verify('carol', { image: 'alice-photo' }, client, {})).rejects.toMatchObject({
        reason: 'FACE_LOCKED',
        metadata: expect.objectContaining({ scope: 'ip' }),
      });
      // another IP is not affected
      expect(
        (await service.verify('alice', { image: 'alice-photo' }, { ip: '203.0.113.1', userAgent: '' }, {}))
          .match,
      ).toBe(true);
    });

    it('records a rejected photo with its reason without counting it', async () => {
      const { service, attempts, events } = setup({ user: { delayAfter: 1, lockAfter: 1 } });
      const client = { ip: '192.0.2.3', userAgent: '' };
      await expect(service.verify('alice', { image: 'no-face' }, client, {})).rejects.toMatchObject({
        reason: 'NO_FACE',
      });
      expect(attempts.map((a) => a.outcome)).toEqual(['rejected']);
      expect(decodePayload('biometric.auth.failed', events()[0]!.data)).toMatchObject({
        reason: 'NO_FACE',
        attemptCount: 0,
      });
      expect((await service.verify('alice', { image: 'alice-photo' }, client, {})).match).toBe(true);
    });

    it('counts a liveness capture that did not pass as a failed attempt, and refuses with its reason', async () => {
      const { service, attempts } = setup({
        user: { delayAfter: 2, delayBaseMs: 60_000, delayMaxMs: 60_000 },
      });
      const client = { ip: '192.0.2.4', userAgent: '' };
      const still = { session: 'still', frames: [] };
      await expect(service.verify('alice', { liveness: still }, client, {})).rejects.toMatchObject({
        reason: 'MOVE_NOT_SEEN',
        metadata: { decision: 'retry' },
      });
      await expect(service.verify('alice', { liveness: still }, client, {})).rejects.toMatchObject({
        reason: 'MOVE_NOT_SEEN',
      });
      expect(attempts.filter((a) => a.outcome === 'failure').map((a) => a.reason)).toEqual([
        'MOVE_NOT_SEEN',
        'MOVE_NOT_SEEN',
      ]);
      // Two failures delay the face channel: even a live capture of alice is refused now.
      await expect(
        service.verify('alice', { liveness: { session: 'live:alice', frames: [] } }, client, {}),
      ).rejects.toMatchObject({ reason: 'TOO_MANY_ATTEMPTS' });
    });

    it('names the liveness session in the assertion of a live capture that matched', async () => {
      const { service } = setup();
      const r = await service.verify(
        'alice',
        { liveness: { session: 'live:alice', frames: [] } },
        { ip: '192.0.2.5', userAgent: '' },
        {},
      );
      expect(r.match).toBe(true);
      const claims = JSON.parse(Buffer.from(r.assertion!.token.split('.')[1]!, 'base64url').toString());
      expect(claims).toMatchObject({ liveness: 'live:alice', amr: ['face', 'liveness'] });
      const other = await service.verify(
        'alice',
        { liveness: { session: 'live:bob', frames: [] } },
        { ip: '192.0.2.5', userAgent: '' },
        {},
      );
      expect(other.match).toBe(false);
    });
  });
});
