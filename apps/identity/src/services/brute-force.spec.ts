import { describe, expect, it } from 'vitest';
import type { DomainError } from '@guardian/domain';
import {
  type AttemptRecord,
  DEFAULT_ACCOUNT_POLICY,
  DEFAULT_IP_POLICY,
  type ThrottlePolicy,
  assertNotThrottled,
  evaluateThrottle,
  failureChain,
  failureLocks,
} from './brute-force.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms);
const failuresAt = (...ms: number[]): AttemptRecord[] => ms.map((m) => ({ at: at(m), outcome: 'failure' }));
const policy: ThrottlePolicy = {
  ...DEFAULT_ACCOUNT_POLICY,
  delayAfter: 3,
  delayBaseMs: 1000,
  delayMaxMs: 4000,
  lockAfter: 5,
  lockBaseMs: 60_000,
  lockMaxMs: 240_000,
};

describe('brute-force policy', () => {
  describe('failureChain', () => {
    it('counts failures after the last success for accounts', () => {
      const records: AttemptRecord[] = [
        ...failuresAt(0, 1, 2),
        { at: at(3), outcome: 'success' },
        ...failuresAt(4, 5),
      ];
      expect(failureChain(records, policy).failures).toBe(2);
    });
    it('does not reset on success for IPs', () => {
      const records: AttemptRecord[] = [
        ...failuresAt(0, 1, 2),
        { at: at(3), outcome: 'success' },
        ...failuresAt(4),
      ];
      expect(failureChain(records, DEFAULT_IP_POLICY).failures).toBe(4);
    });
    it('ignores blocked attempts and records before `since`', () => {
      const records: AttemptRecord[] = [
        ...failuresAt(0, 1, 2, 3),
        { at: at(4), outcome: 'blocked' },
        ...failuresAt(6),
      ];
      expect(failureChain(records, policy).failures).toBe(5);
      expect(failureChain(records, policy, at(2)).failures).toBe(2);
    });
    it('breaks the chain when failures are further apart than resetAfterMs', () => {
      const gap = policy.resetAfterMs + 1;
      expect(failureChain(failuresAt(0, 1, 2, 2 + gap), policy).failures).toBe(1);
    });
  });

  describe('evaluateThrottle', () => {
    it('is open below delayAfter', () => {
      expect(evaluateThrottle(failuresAt(0, 1), policy, at(2))).toEqual({ state: 'open', failures: 2 });
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
    });
    it('opens once the lock has expired, and an admin unlock (`since`) opens it at once', () => {
      const records = failuresAt(0, 0, 0, 0, 0);
      expect(evaluateThrottle(records, policy, at(60_001)).state).toBe('open');
      expect(evaluateThrottle(records, policy, at(10), at(5))).toEqual({ state: 'open', failures: 0 });
    });
  });

  describe('failureLocks', () => {
    it('tells when the next failure starts a lock', () => {
      expect(failureLocks(failuresAt(0, 0, 0), policy, at(5000)).state).not.toBe('locked');
      expect(failureLocks(failuresAt(0, 0, 0, 0), policy, at(5000))).toMatchObject({
        state: 'locked',
        failures: 5,
      });
    });
  });

  describe('assertNotThrottled', () => {
    const catchError = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return e as DomainError;
      }
      throw new Error('expected a DomainError');
    };
    it('throws ACCOUNT_LOCKED with retry-after for a locked account', () => {
      const e = catchError(() =>
        assertNotThrottled(evaluateThrottle(failuresAt(0, 0, 0, 0, 0), policy, at(0)), 'account'),
      );
      expect(e).toMatchObject({ kind: 'rate_limited', reason: 'ACCOUNT_LOCKED', retryAfterMs: 60_000 });
      expect(e.metadata.scope).toBe('account');
    });
    it('throws TOO_MANY_ATTEMPTS for delays and IP locks', () => {
      expect(
        catchError(() => assertNotThrottled(evaluateThrottle(failuresAt(0, 0, 0), policy, at(0)), 'account'))
          .reason,
      ).toBe('TOO_MANY_ATTEMPTS');
      expect(
        catchError(() => assertNotThrottled(evaluateThrottle(failuresAt(0, 0, 0, 0, 0), policy, at(0)), 'ip'))
          .reason,
      ).toBe('TOO_MANY_ATTEMPTS');
    });
    it('passes when open', () => {
      expect(() => assertNotThrottled({ state: 'open', failures: 0 }, 'ip')).not.toThrow();
    });
  });
});
