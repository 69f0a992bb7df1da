import { DomainError } from '@guardian/domain';
import type { AttemptOutcome as SharedOutcome, ThrottlePolicy, ThrottleState } from '@guardian/throttle';

/**
 * Brute-force protection of sign-in. The evaluator (failure chains, growing delays and locks) lives
 * in @guardian/throttle; here are identity's default policies and error mapping. The same policy
 * shape runs twice per login: once keyed by account (the user id, or the lower-cased identifier when
 * it matches no account so unknown names lock exactly like real ones) and once keyed by client IP.
 * A locked account answers ACCOUNT_LOCKED; delays, and IP locks, answer TOO_MANY_ATTEMPTS — both
 * with retry-after. Refused attempts are recorded as `blocked` and never counted.
 */
export {
  type AttemptRecord,
  type ThrottlePolicy,
  type ThrottleState,
  afterFailure,
  evaluateThrottle,
  failureChain,
  successEndsChain,
} from '@guardian/throttle';

/** Sign-in records no `rejected` outcome (that one is the face channel's). */
export type AttemptOutcome = Exclude<SharedOutcome, 'rejected'>;

export const DEFAULT_ACCOUNT_POLICY: Readonly<ThrottlePolicy> = Object.freeze({
  resetAfterMs: 12 * 60 * 60_000,
  delayAfter: 3,
  delayBaseMs: 1_000,
  delayMaxMs: 30_000,
  lockAfter: 5,
  lockBaseMs: 5 * 60_000,
  lockMaxMs: 60 * 60_000,
  resetOnSuccess: true,
});

export const DEFAULT_IP_POLICY: Readonly<ThrottlePolicy> = Object.freeze({
  resetAfterMs: 60 * 60_000,
  delayAfter: 10,
  delayBaseMs: 500,
  delayMaxMs: 10_000,
  lockAfter: 30,
  lockBaseMs: 5 * 60_000,
  lockMaxMs: 60 * 60_000,
  resetOnSuccess: false,
});

export type ThrottleScope = 'account' | 'ip';

/** Throws when the state refuses an attempt now: ACCOUNT_LOCKED / TOO_MANY_ATTEMPTS with retry-after. */
export function assertNotThrottled(state: ThrottleState, scope: ThrottleScope): void {
  if (state.state !== 'open') throw throttleRefusal(state, scope);
}

/**
 * The error refusing an attempt in `state` (ACCOUNT_LOCKED for a locked account, else
 * TOO_MANY_ATTEMPTS). An open state (a window that refused by its own count) waits a second.
 */
export function throttleRefusal(state: ThrottleState, scope: ThrottleScope): DomainError {
  const retryAfterMs = state.state === 'open' ? 1_000 : Math.max(1, Math.ceil(state.retryAfterMs));
  const metadata: Record<string, string> =
    state.state === 'open' ? { scope } : { scope, stage: state.state, until: state.until.toISOString() };
  if (scope === 'account' && state.state === 'locked') {
    return new DomainError(
      'rate_limited',
      'ACCOUNT_LOCKED',
      'Account temporarily locked after repeated failed sign-ins.',
      { retryAfterMs, metadata },
    );
  }
  return new DomainError('rate_limited', 'TOO_MANY_ATTEMPTS', 'Too many failed sign-ins; try again later.', {
    retryAfterMs,
    metadata,
  });
}
