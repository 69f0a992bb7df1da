/**
 * Brute-force protection of the face channel (Verify / face login), as pure functions over attempt
 * records and a clock — the same shape identity applies to passwords (apps/identity brute-force.ts),
 * kept here because apps do not import each other.
 *
 * It runs twice per Verify: keyed by the user id and keyed by the client IP. A failure chain is the
 * run of counted failures after the last success (user scope only: an attacker's own successful
 * face must not reset an IP) in which no two consecutive failures are further apart than
 * `resetAfterMs`. With n failures in the chain:
 * - n < delayAfter: open;
 * - delayAfter <= n < lockAfter: the next attempt must wait delayBaseMs * 2^(n - delayAfter) (at most
 *   delayMaxMs) after the last failure -> TOO_MANY_ATTEMPTS with retry-after;
 * - n >= lockAfter: locked for lockBaseMs * 2^(n - lockAfter) (at most lockMaxMs) after the last
 *   failure -> FACE_LOCKED with retry-after.
 * Refused attempts (`blocked`) and rejected photos (`rejected`: no face, bad image) are recorded but
 * never counted, so a flood of refused attempts cannot extend a lock and a bad camera cannot lock a user.
 */
import { DomainError } from '@guardian/domain';

export interface ThrottlePolicy {
  resetAfterMs: number;
  delayAfter: number;
  delayBaseMs: number;
  delayMaxMs: number;
  lockAfter: number;
  lockBaseMs: number;
  lockMaxMs: number;
  /** Whether a success ends the failure chain (true for users, false for IPs). */
  resetOnSuccess: boolean;
}

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

export type AttemptOutcome = 'success' | 'failure' | 'blocked' | 'rejected';

export interface AttemptRecord {
  at: Date;
  outcome: AttemptOutcome;
}

export type ThrottleState =
  | { state: 'open'; failures: number }
  | { state: 'delayed' | 'locked'; failures: number; until: Date; retryAfterMs: number };

const grow = (base: number, max: number, exponent: number) =>
  Math.min(max, base * 2 ** Math.min(Math.max(0, exponent), 30));

/** Counted failures in the current chain and the time of the last one. Records may come in any order. */
export function failureChain(
  records: readonly AttemptRecord[],
  policy: ThrottlePolicy,
): { failures: number; lastFailureAt?: Date } {
  const sorted = records
    .filter((r) => r.outcome === 'success' || r.outcome === 'failure')
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  let failures = 0;
  let last: Date | undefined;
  for (const record of sorted) {
    if (record.outcome === 'success') {
      if (policy.resetOnSuccess) {
        failures = 0;
        last = undefined;
      }
      continue;
    }
    if (last && record.at.getTime() - last.getTime() > policy.resetAfterMs) failures = 0;
    failures++;
    last = record.at;
  }
  return last ? { failures, lastFailureAt: last } : { failures };
}

/** The throttle state after `failures` counted failures, the last at `lastFailureAt`. */
export function stateAfter(
  failures: number,
  lastFailureAt: Date | undefined,
  policy: ThrottlePolicy,
  now: Date,
): ThrottleState {
  if (!lastFailureAt || failures < policy.delayAfter) return { state: 'open', failures };
  if (now.getTime() - lastFailureAt.getTime() > policy.resetAfterMs) return { state: 'open', failures: 0 };
  const locked = failures >= policy.lockAfter;
  const waitMs = locked
    ? grow(policy.lockBaseMs, policy.lockMaxMs, failures - policy.lockAfter)
    : grow(policy.delayBaseMs, policy.delayMaxMs, failures - policy.delayAfter);
  const until = new Date(lastFailureAt.getTime() + waitMs);
  const retryAfterMs = until.getTime() - now.getTime();
  if (retryAfterMs <= 0) return { state: 'open', failures };
  return { state: locked ? 'locked' : 'delayed', failures, until, retryAfterMs };
}

/** The state of one key (user or IP) from its recent attempts. */
export function throttleState(
  records: readonly AttemptRecord[],
  policy: ThrottlePolicy,
  now: Date,
): ThrottleState {
  const { failures, lastFailureAt } = failureChain(records, policy);
  return stateAfter(failures, lastFailureAt, policy, now);
}

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

/** After recording a new failure: the chain length and whether (and how long) it now locks. */
export function afterFailure(
  records: readonly AttemptRecord[],
  policy: ThrottlePolicy,
  now: Date,
): { failures: number; locked: boolean; retryAfterMs: number } {
  const { failures, lastFailureAt } = failureChain([...records, { at: now, outcome: 'failure' }], policy);
  const state = stateAfter(failures, lastFailureAt, policy, now);
  return {
    failures,
    locked: state.state === 'locked',
    retryAfterMs: state.state === 'open' ? 0 : state.retryAfterMs,
  };
}
