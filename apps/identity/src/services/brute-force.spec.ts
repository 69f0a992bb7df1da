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
} from './brute-force.js';

// The evaluator itself is tested in libs/throttle; here: identity's policies and error mapping.
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
  describe('default policies', () => {
    it('a success resets an account chain but not an IP chain', () => {
      const records: AttemptRecord[] = [
        ...failuresAt(0, 1, 2),
        { at: at(3), outcome: 'success' },
        ...failuresAt(4),
      ];
      expect(failureChain(records, DEFAULT_ACCOUNT_POLICY).failures).toBe(1);
      expect(failureChain(records, DEFAULT_IP_POLICY).failures).toBe(4);
    });
    it('delay before locking, and the IP tolerates more than an account', () => {
      for (const p of [DEFAULT_ACCOUNT_POLICY, DEFAULT_IP_POLICY]) {
        expect(p.delayAfter).toBeLessThan(p.lockAfter);
        expect(p.delayMaxMs).toBeLessThanOrEqual(p.lockBaseMs);
      }
      expect(DEFAULT_IP_POLICY.lockAfter).toBeGreaterThan(DEFAULT_ACCOUNT_POLICY.lockAfter);
      expect(evaluateThrottle(failuresAt(0, 0, 0, 0, 0), DEFAULT_ACCOUNT_POLICY, at(0))).toMatchObject({
        state: 'locked',
        retryAfterMs: 5 * 60_000,
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
