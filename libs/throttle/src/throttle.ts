/**
 * Brute-force throttling, Keycloak-style, as pure functions over attempt records and an injected
 * clock. Shared by identity (passwords: keyed by account and by client IP) and biometrics (face
 * Verify: keyed by user and by client IP); the apps keep their own reason codes and default policies.
 *
 * A "failure chain" is the run of counted failures after the last success (only when the policy
 * says `resetOnSuccess`: an attacker's own valid account or face must not reset an IP), after
 * `since` (e.g. an admin unlock), and in which no two consecutive failures are further apart than
 * `resetAfterMs`. With n failures in the chain:
 * - n < delayAfter and n < lockAfter: open;
 * - delayAfter <= n < lockAfter: the next attempt waits delayBaseMs * 2^(n - delayAfter), at most
 *   delayMaxMs, counted from the last failure;
 * - n >= lockAfter: locked for lockBaseMs * 2^(n - lockAfter), at most lockMaxMs, counted from the
 *   last failure. Each failure after a lock expires locks again for twice as long.
 * A chain whose last failure is older than `resetAfterMs` is forgotten (open, 0 failures).
 * Only `success` and `failure` count: refused attempts (`blocked`) and rejected inputs (`rejected`,
 * e.g. a photo without a face) are recorded by the apps but never counted, so a flood of refused
 * attempts cannot extend a lock and a bad camera cannot lock a user.
 */
export interface ThrottlePolicy {
  resetAfterMs: number;
  delayAfter: number;
  delayBaseMs: number;
  delayMaxMs: number;
  lockAfter: number;
  lockBaseMs: number;
  lockMaxMs: number;
  /** Whether a success ends the failure chain (true for accounts/users, false for IPs). */
  resetOnSuccess: boolean;
}

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

/** Failures in the current chain and the time of the last one. Records may come in any order. */
export function failureChain(
  records: readonly AttemptRecord[],
  policy: ThrottlePolicy,
  since?: Date,
): { failures: number; lastFailureAt?: Date } {
  const sorted = records
    .filter(
      (r) =>
        (r.outcome === 'success' || r.outcome === 'failure') && (!since || r.at.getTime() > since.getTime()),
    )
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
    failures += 1;
    last = record.at;
  }
  return last ? { failures, lastFailureAt: last } : { failures: 0 };
}

/** The throttle state at `now`. `since` (e.g. an admin unlock) drops every record up to it. */
export function evaluateThrottle(
  records: readonly AttemptRecord[],
  policy: ThrottlePolicy,
  now: Date,
  since?: Date,
): ThrottleState {
  const { failures, lastFailureAt } = failureChain(records, policy, since);
  if (!lastFailureAt || now.getTime() - lastFailureAt.getTime() > policy.resetAfterMs)
    return { state: 'open', failures: 0 };
  let wait = 0;
  let state: 'delayed' | 'locked' = 'delayed';
  if (failures >= policy.lockAfter) {
    wait = grow(policy.lockBaseMs, policy.lockMaxMs, failures - policy.lockAfter);
    state = 'locked';
  } else if (failures >= policy.delayAfter) {
    wait = grow(policy.delayBaseMs, policy.delayMaxMs, failures - policy.delayAfter);
  }
  const until = new Date(lastFailureAt.getTime() + wait);
  const retryAfterMs = until.getTime() - now.getTime();
  if (retryAfterMs <= 0) return { state: 'open', failures };
  return { state, failures, until, retryAfterMs };
}

/**
 * The state right after recording one more failure at `now`: its `failures` is the new chain length
 * (the attempt count for events) and `locked` says the failure starts (or extends) a lock.
 */
export function afterFailure(
  records: readonly AttemptRecord[],
  policy: ThrottlePolicy,
  now: Date,
  since?: Date,
): ThrottleState {
  return evaluateThrottle([...records, { at: now, outcome: 'failure' }], policy, now, since);
}

/**
 * Whether recording a success would change any later decision: only when it ends a failure chain.
 * Otherwise a success need not be counted at all, which saves a sign-in the window write.
 */
export function successEndsChain(
  records: readonly AttemptRecord[],
  policy: ThrottlePolicy,
  since?: Date,
): boolean {
  return policy.resetOnSuccess && failureChain(records, policy, since).failures > 0;
}
