import { describe, expect, it } from 'vitest';
import {
  type AttemptRecord,
  type ThrottlePolicy,
  afterFailure,
  evaluateThrottle,
  failureChain,
  successEndsChain,
} from './index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms);
const fail = (ms: number): AttemptRecord => ({ at: at(ms), outcome: 'failure' });
const failuresAt = (...ms: number[]): AttemptRecord[] => ms.map(fail);

/** Account-like policy: 12 h window, delays from 3 failures, locks from 5. */
const policy: ThrottlePolicy = {
  resetAfterMs: 12 * 60 * 60_000,
  delayAfter: 3,
  delayBaseMs: 1000,
  delayMaxMs: 4000,
  lockAfter: 5,
  lockBaseMs: 60_000,
  lockMaxMs: 240_000,
  resetOnSuccess: true,
};
const ipPolicy: ThrottlePolicy = { ...policy, resetAfterMs: 60 * 60_000, resetOnSuccess: false };
/** Short policy: 1 min window, delays from 2 failures, locks from 4. */
const short: ThrottlePolicy = {
  resetAfterMs: 60_000,
  delayAfter: 2,
  delayBaseMs: 1_000,
  delayMaxMs: 4_000,
  lockAfter: 4,
  lockBaseMs: 10_000,
  lockMaxMs: 40_000,
  resetOnSuccess: true,
};

describe('throttle', () => {
  describe('failureChain', () => {
    it('counts failures after the last success when resetOnSuccess', () => {
      const records: AttemptRecord[] = [
        ...failuresAt(0, 1, 2),
        { at: at(3), outcome: 'success' },
        ...failuresAt(4, 5),
      ];
      expect(failureChain(records, policy).failures).toBe(2);
    });
    it('does not reset on success otherwise (IPs)', () => {
      const records: AttemptRecord[] = [
        ...failuresAt(0, 1, 2),
        { at: at(3), outcome: 'success' },
        ...failuresAt(4),
      ];
      expect(failureChain(records, ipPolicy).failures).toBe(4);
    });
    it('ignores blocked and rejected attempts and records up to `since`', () => {
      const records: AttemptRecord[] = [
        ...failuresAt(0, 1, 2, 3),
        { at: at(4), outcome: 'blocked' },
        { at: at(5), outcome: 'rejected' },
        ...failuresAt(6),
      ];
      expect(failureChain(records, policy).failures).toBe(5);
      expect(failureChain(records, policy, at(2)).failures).toBe(2);
    });
    it('breaks the chain when failures are further apart than resetAfterMs', () => {
      const gap = policy.resetAfterMs + 1;
      expect(failureChain(failuresAt(0, 1, 2, 2 + gap), policy).failures).toBe(1);
    });
    it('accepts records in any order', () => {
      expect(failureChain([fail(5), fail(1), { at: at(3), outcome: 'success' }], policy)).toEqual({
        failures: 1,
        lastFailureAt: at(5),
      });
    });
  });

  describe('evaluateThrottle', () => {
    it('is open below delayAfter, not counting blocked and rejected attempts', () => {
      expect(evaluateThrottle(failuresAt(0, 1), policy, at(2))).toEqual({ state: 'open', failures: 2 });
      const records: AttemptRecord[] = [
        fail(0),
        { at: at(1), outcome: 'blocked' },
        { at: at(2), outcome: 'rejected' },
      ];
      expect(evaluateThrottle(records, short, at(3))).toEqual({ state: 'open', failures: 1 });
    });
    it('delays with growing waits between delayAfter and lockAfter', () => {
      const three = evaluateThrottle(failuresAt(0, 0, 0), policy, at(0));
      expect(three).toMatchObject({ state: 'delayed', failures: 3, retryAfterMs: 1000 });
      const four = evaluateThrottle(failuresAt(0, 0, 0, 1000), policy, at(1000));
      expect(four).toMatchObject({ state: 'delayed', failures: 4, retryAfterMs: 2000 });
      expect(evaluateThrottle(failuresAt(0, 0, 0, 1000), policy, at(3000))).toEqual({
        state: 'open',
        failures: 4,
      });
      expect(evaluateThrottle([fail(0), fail(10)], short, at(20))).toMatchObject({
        state: 'delayed',
        retryAfterMs: 990,
      });
      expect(evaluateThrottle([fail(0), fail(10), fail(20)], short, at(20))).toMatchObject({
        state: 'delayed',
        retryAfterMs: 2_000,
      });
    });
    it('locks at lockAfter and doubles the lock with each further failure, capped', () => {
      expect(evaluateThrottle(failuresAt(0, 0, 0, 0, 0), policy, at(0))).toMatchObject({
        state: 'locked',
        failures: 5,
        retryAfterMs: 60_000,
      });
      expect(evaluateThrottle(failuresAt(0, 0, 0, 0, 0, 60_000), policy, at(60_000))).toMatchObject({
        state: 'locked',
        retryAfterMs: 120_000,
      });
      expect(evaluateThrottle(failuresAt(0, 0, 0, 0, 0, 1, 2, 3, 4), policy, at(4))).toMatchObject({
        state: 'locked',
        retryAfterMs: 240_000,
      });
      expect(evaluateThrottle([fail(0), fail(10), fail(20), fail(30)], short, at(30))).toMatchObject({
        state: 'locked',
        retryAfterMs: 10_000,
      });
      expect(evaluateThrottle(failuresAt(0, 10, 20, 30, 40), short, at(40))).toMatchObject({
        state: 'locked',
        retryAfterMs: 20_000,
      });
      const many = Array.from({ length: 12 }, (_, i) => fail(i));
      expect(evaluateThrottle(many, short, at(11))).toMatchObject({ state: 'locked', retryAfterMs: 40_000 });
    });
    it('opens once the wait or lock has expired, and an admin unlock (`since`) opens it at once', () => {
      const records = failuresAt(0, 0, 0, 0, 0);
      expect(evaluateThrottle(records, policy, at(60_001)).state).toBe('open');
      expect(evaluateThrottle(records, policy, at(10), at(5))).toEqual({ state: 'open', failures: 0 });
      expect(evaluateThrottle([fail(0), fail(10)], short, at(1_011))).toEqual({ state: 'open', failures: 2 });
    });
    it('forgets chains older than the window', () => {
      expect(evaluateThrottle([fail(0), fail(10), fail(70_000)], short, at(70_001))).toEqual({
        state: 'open',
        failures: 1,
      });
      expect(evaluateThrottle([fail(0)], short, at(60_001))).toEqual({ state: 'open', failures: 0 });
    });
    it('a success ends the chain only when resetOnSuccess', () => {
      const records: AttemptRecord[] = [fail(0), fail(1), { at: at(2), outcome: 'success' }];
      expect(evaluateThrottle(records, short, at(3))).toEqual({ state: 'open', failures: 0 });
      expect(evaluateThrottle(records, { ...short, resetOnSuccess: false }, at(3))).toMatchObject({
        state: 'delayed',
        failures: 2,
      });
    });
  });

  describe('successEndsChain', () => {
    const success = (ms: number): AttemptRecord => ({ at: at(ms), outcome: 'success' });
    it('is true only while failures follow the last success', () => {
      expect(successEndsChain([], policy)).toBe(false);
      expect(successEndsChain([success(0)], policy)).toBe(false);
      expect(successEndsChain([fail(0), success(1)], policy)).toBe(false);
      expect(successEndsChain([success(0), fail(1)], policy)).toBe(true);
      expect(successEndsChain([fail(1), { at: at(2), outcome: 'blocked' }], policy)).toBe(true);
    });
    it('is false for scopes a success never resets, and honours `since`', () => {
      expect(successEndsChain([fail(0)], ipPolicy)).toBe(false);
      expect(successEndsChain([fail(0)], policy, at(1))).toBe(false);
    });
  });

  describe('afterFailure', () => {
    it('counts the new failure and tells when it starts a lock', () => {
      expect(afterFailure(failuresAt(0, 0, 0), policy, at(5000)).state).not.toBe('locked');
      expect(afterFailure(failuresAt(0, 0, 0, 0), policy, at(5000))).toMatchObject({
        state: 'locked',
        failures: 5,
      });
      expect(afterFailure([fail(0)], short, at(5))).toMatchObject({
        state: 'delayed',
        failures: 2,
        retryAfterMs: 1_000,
      });
      expect(afterFailure([fail(0), fail(1), fail(2)], short, at(5))).toMatchObject({
        state: 'locked',
        failures: 4,
        retryAfterMs: 10_000,
      });
    });
    it('honours `since`', () => {
      expect(afterFailure(failuresAt(0, 0, 0, 0), policy, at(5000), at(1))).toEqual({
        state: 'open',
        failures: 1,
      });
    });
  });
});
