/**
 * Brute-force protection of the face channel (Verify / face login). The evaluator (failure chains,
 * growing delays and locks) lives in @guardian/throttle, shared with identity's password sign-in;
 * here are the face channel's default policies and error mapping.
 *
 * It runs twice per Verify: keyed by the user id and keyed by the client IP (a success resets only
 * the user chain). A delay answers TOO_MANY_ATTEMPTS, a lock FACE_LOCKED, both with retry-after; when
 * both scopes refuse, a lock beats a delay, then the longer wait wins. Refused attempts (`blocked`)
 * and rejected photos (`rejected`: no face, bad image) are recorded but never counted.
 */
import { DomainError } from '@guardian/domain';
import type { ThrottlePolicy, ThrottleState } from '@guardian/throttle';

export {
  type AttemptOutcome,
  type AttemptRecord,
  type ThrottlePolicy,
  type ThrottleState,
  afterFailure,
  evaluateThrottle,
  failureChain,
  successEndsChain,
} from '@guardian/throttle';

export const DEFAULT_FACE_USER_POLICY: Readonly<ThrottlePolicy> = Object.freeze({
  resetAfterMs: 12 * 60 * 60_000,
  delayAfter: 3,
  delayBaseMs: 1_000,
  delayMaxMs: 30_000,
  lockAfter: 5,
  lockBaseMs: 5 * 60_000,
  lockMaxMs: 60 * 60_000,
  resetOnSuccess: true,
});

export const DEFAULT_FACE_IP_POLICY: Readonly<ThrottlePolicy> = Object.freeze({
  resetAfterMs: 60 * 60_000,
  delayAfter: 10,
  delayBaseMs: 500,
  delayMaxMs: 10_000,
  lockAfter: 30,
  lockBaseMs: 5 * 60_000,
  lockMaxMs: 60 * 60_000,
  resetOnSuccess: false,
});

/** The error for a refused attempt (the stricter of the two scopes decides). */
export function refusal(scope: 'user' | 'ip', state: Extract<ThrottleState, { until: Date }>): DomainError {
  const metadata = { scope, failures: String(state.failures), until: state.until.toISOString() };
  return state.state === 'locked'
    ? new DomainError(
        'rate_limited',
        'FACE_LOCKED',
        'face verification is locked after repeated failures; try again later',
        {
          retryAfterMs: state.retryAfterMs,
          metadata,
        },
      )
    : new DomainError(
        'rate_limited',
        'TOO_MANY_ATTEMPTS',
        'too many failed face verifications; wait before trying again',
        {
          retryAfterMs: state.retryAfterMs,
          metadata,
        },
      );
}

/** Which scope refuses, if any: a lock beats a delay, then the longer wait wins. */
export function checkThrottle(user: ThrottleState, ip: ThrottleState): DomainError | undefined {
  type Refusing = { scope: 'user' | 'ip'; state: Extract<ThrottleState, { until: Date }> };
  const refusing: Refusing[] = [];
  if (user.state !== 'open') refusing.push({ scope: 'user', state: user });
  if (ip.state !== 'open') refusing.push({ scope: 'ip', state: ip });
  refusing.sort((a, b) =>
    a.state.state === b.state.state
      ? b.state.retryAfterMs - a.state.retryAfterMs
      : a.state.state === 'locked'
        ? -1
        : 1,
  );
  const first = refusing[0];
  return first ? refusal(first.scope, first.state) : undefined;
}
