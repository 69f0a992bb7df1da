import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FACE_IP_POLICY,
  DEFAULT_FACE_USER_POLICY,
  checkThrottle,
  evaluateThrottle,
  failureChain,
  type AttemptRecord,
  type ThrottlePolicy,
} from './face-throttle.js';

// The evaluator itself is tested in libs/throttle; here: the face policies and error mapping.
const policy: ThrottlePolicy = {
  resetAfterMs: 60_000,
  delayAfter: 2,
  delayBaseMs: 1_000,
  delayMaxMs: 4_000,
  lockAfter: 4,
  lockBaseMs: 10_000,
  lockMaxMs: 40_000,
  resetOnSuccess: true,
};
const t0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0 + ms);
const fail = (ms: number): AttemptRecord => ({ at: at(ms), outcome: 'failure' });

describe('face throttle', () => {
  describe('default policies', () => {
    it('a success resets the user chain but not the IP chain; photos rejected never count', () => {
      const records: AttemptRecord[] = [
        fail(0),
        fail(1),
        { at: at(2), outcome: 'rejected' },
        { at: at(3), outcome: 'success' },
        fail(4),
      ];
      expect(failureChain(records, DEFAULT_FACE_USER_POLICY).failures).toBe(1);
      expect(failureChain(records, DEFAULT_FACE_IP_POLICY).failures).toBe(3);
    });
    it('delay before locking, and the IP tolerates more than a user', () => {
      for (const p of [DEFAULT_FACE_USER_POLICY, DEFAULT_FACE_IP_POLICY]) {
        expect(p.delayAfter).toBeLessThan(p.lockAfter);
        expect(p.delayMaxMs).toBeLessThanOrEqual(p.lockBaseMs);
      }
      expect(DEFAULT_FACE_IP_POLICY.lockAfter).toBeGreaterThan(DEFAULT_FACE_USER_POLICY.lockAfter);
    });
  });

  describe('checkThrottle', () => {
    it('answers FACE_LOCKED for a lock and TOO_MANY_ATTEMPTS for a delay, the lock winning', () => {
      const locked = evaluateThrottle([fail(0), fail(1), fail(2), fail(3)], policy, at(4));
      const delayed = evaluateThrottle([fail(0), fail(1)], policy, at(2));
      const open = evaluateThrottle([], policy, at(0));
      expect(checkThrottle(open, open)).toBeUndefined();
      expect(checkThrottle(delayed, open)).toMatchObject({
        reason: 'TOO_MANY_ATTEMPTS',
        kind: 'rate_limited',
        metadata: { scope: 'user' },
      });
      const both = checkThrottle(delayed, locked);
      expect(both).toMatchObject({ reason: 'FACE_LOCKED', metadata: { scope: 'ip', failures: '4' } });
      expect(both?.retryAfterMs).toBe(9_999);
    });
    it('between two of a kind, the longer wait wins', () => {
      const shorter = evaluateThrottle([fail(0), fail(1)], policy, at(2));
      const longer = evaluateThrottle([fail(0), fail(1), fail(2)], policy, at(2));
      expect(checkThrottle(shorter, longer)).toMatchObject({
        reason: 'TOO_MANY_ATTEMPTS',
        retryAfterMs: 2_000,
        metadata: { scope: 'ip' },
      });
    });
  });
});
