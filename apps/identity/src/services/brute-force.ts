import { DomainError } from '@guardian/domain';

/**
 * Brute-force protection, Keycloak-style, as pure functions over attempt records and an injected
 * clock. The same policy shape runs twice per login: once keyed by account (the user id, or the
 * lower-cased identifier when it matches no account so unknown names lock exactly like real ones)
 * and once keyed by client IP.
 *
 * A "failure chain" is the run of failures that follows the last success (account scope only — an
 * attacker's own valid account must not reset an IP), the last admin unlock, and in which no two
 * consecutive failures are further apart than `resetAfterMs`. With n failures in the chain:
 * - n < delayAfter: open;
 * - delayAfter <= n < lockAfter: the next attempt waits delayBaseMs * 2^(n - delayAfter), at most
 *   delayMaxMs, counted from the last failure (TOO_MANY_ATTEMPTS with retry-after);
 * - n >= lockAfter: locked for lockBaseMs * 2^(n - lockAfter), at most lockMaxMs, counted from the
 *   last failure (ACCOUNT_LOCKED for accounts, TOO_MANY_ATTEMPTS for IPs, with retry-after). Each
 *   failure after a lock expires locks again for twice as long.
 * Attempts refused because of a delay or lock are recorded with outcome `blocked` and never counted,
 * so a flood of refused attempts cannot extend a lock forever.
 */
export interface ThrottlePolicy {
  resetAfterMs: number;
  delayAfter: number;
  delayBaseMs: number;
  delayMaxMs: number;
  lockAfter: number;
  lockBaseMs: number;
  lockMaxMs: number;
  /** Whether a success ends the failure chain (true for accounts, false for IPs). */
  resetOnSuccess: boolean;
}

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

export type AttemptOutcome = 'success' | 'failure' | 'blocked';

export interface AttemptRecord {
  at: Date;
  outcome: AttemptOutcome;
}

export type ThrottleState =
  | { state: 'open'; failures: number }
  | { state: 'delayed' | 'locked'; failures: number; until: Date; retryAfterMs: number };

const grow = (base: number, max: number, exponent: number) =>
  Math.min(max, base * 2 ** Math.min(exponent, 30));

/** Failures in the current chain and the time of the last one. Records may come in any order. */
export function failureChain(
  records: readonly AttemptRecord[],
  policy: ThrottlePolicy,
  since?: Date,
): { failures: number; lastFailureAt?: Date } {
  const sorted = records
    .filter((r) => r.outcome !== 'blocked' && (!since || r.at.getTime() > since.getTime()))
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

/** The throttle state at `now`. `since` (e.g. an admin unlock) drops every earlier record. */
export function evaluateThrottle(
  records: readonly AttemptRecord[],
  policy: ThrottlePolicy,
  now: Date,
  since?: Date,
): ThrottleState {
  const { failures, lastFailureAt } = failureChain(records, policy, since);
  if (!lastFailureAt || now.getTime() - lastFailureAt.getTime() > policy.resetAfterMs)
    return { state: 'open', failures: lastFailureAt ? 0 : failures };
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

/** Whether recording one more failure at `now` starts a lock (the moment to emit identity.account.locked). */
export function failureLocks(
  records: readonly AttemptRecord[],
  policy: ThrottlePolicy,
  now: Date,
  since?: Date,
): ThrottleState {
  return evaluateThrottle([...records, { at: now, outcome: 'failure' }], policy, now, since);
}

export type ThrottleScope = 'account' | 'ip';

/** Throws when the state refuses an attempt now: ACCOUNT_LOCKED / TOO_MANY_ATTEMPTS with retry-after. */
export function assertNotThrottled(state: ThrottleState, scope: ThrottleScope): void {
  if (state.state === 'open') return;
  const retryAfterMs = Math.max(1, Math.ceil(state.retryAfterMs));
  const metadata = { scope, stage: state.state, until: state.until.toISOString() };
  if (scope === 'account' && state.state === 'locked') {
    throw new DomainError(
      'rate_limited',
      'ACCOUNT_LOCKED',
      'Account temporarily locked after repeated failed sign-ins.',
      { retryAfterMs, metadata },
    );
  }
  throw new DomainError('rate_limited', 'TOO_MANY_ATTEMPTS', 'Too many failed sign-ins; try again later.', {
    retryAfterMs,
    metadata,
  });
}
