import { describe, expect, it } from 'vitest';
import {
  afterFailure,
  checkThrottle,
  throttleState,
  type AttemptRecord,
  type ThrottlePolicy,
} from './face-throttle.js';

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
  describe('throttleState', () => {
    it('stays open below delayAfter and ignores blocked and rejected attempts', () => {
      const records: AttemptRecord[] = [
        fail(0),
        { at: at(1), outcome: 'blocked' },
        { at: at(2), outcome: 'rejected' },
      ];
      expect(throttleState(records, policy, at(3))).toEqual({ state: 'open', failures: 1 });
    });

    it('delays with growing waits, then locks with growing locks', () => {
      expect(throttleState([fail(0), fail(10)], policy, at(20))).toMatchObject({
        state: 'delayed',
        retryAfterMs: 990,
      });
      expect(throttleState([fail(0), fail(10), fail(20)], policy, at(20))).toMatchObject({
        state: 'delayed',
        retryAfterMs: 2_000,
      });
      expect(throttleState([fail(0), fail(10), fail(20), fail(30)], policy, at(30))).toMatchObject({
        state: 'locked',
        retryAfterMs: 10_000,
      });
      expect(throttleState([fail(0), fail(10), fail(20), fail(30), fail(40)], policy, at(40))).toMatchObject({
        state: 'locked',
        retryAfterMs: 20_000,
      });
      const many = Array.from({ length: 12 }, (_, i) => fail(i));
      expect(throttleState(many, policy, at(11))).toMatchObject({ state: 'locked', retryAfterMs: 40_000 });
    });

    it('opens again when the wait has passed, and forgets chains older than the window', () => {
      expect(throttleState([fail(0), fail(10)], policy, at(1_011))).toEqual({ state: 'open', failures: 2 });
      expect(throttleState([fail(0), fail(10), fail(70_000)], policy, at(70_001))).toEqual({
        state: 'open',
        failures: 1,
      });
    });

    it('a success ends the user chain but not an IP chain', () => {
      const records = [fail(0), fail(1), { at: at(2), outcome: 'success' as const }];
      expect(throttleState(records, policy, at(3))).toEqual({ state: 'open', failures: 0 });
      expect(throttleState(records, { ...policy, resetOnSuccess: false }, at(3))).toMatchObject({
        state: 'delayed',
        failures: 2,
      });
    });
  });

  describe('checkThrottle', () => {
    it('answers FACE_LOCKED for a lock and TOO_MANY_ATTEMPTS for a delay, the lock winning', () => {
      const locked = throttleState([fail(0), fail(1), fail(2), fail(3)], policy, at(4));
      const delayed = throttleState([fail(0), fail(1)], policy, at(2));
      const open = throttleState([], policy, at(0));
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
  });

  describe('afterFailure', () => {
    it('counts the new failure and says when it locks', () => {
      expect(afterFailure([fail(0)], policy, at(5))).toEqual({
        failures: 2,
        locked: false,
        retryAfterMs: 1_000,
      });
      expect(afterFailure([fail(0), fail(1), fail(2)], policy, at(5))).toEqual({
        failures: 4,
        locked: true,
        retryAfterMs: 10_000,
      });
    });
  });
});
