/**
 * Failed-login digest: at most one alert per user per window, carrying the number of failures since
 * the previous alert. Pure and idempotent by event id: a redelivered event gets the decision it got
 * the first time, so a crash between "digest updated" and "record written" never counts twice.
 * Windows are measured on event time (when the attempt happened), not on when we process it.
 */
export interface DigestState {
  userId: string;
  /** When the last alert went out (event time); null before the first one. */
  lastAlertAt: Date | null;
  /** Failures seen since that alert and not yet reported. */
  pending: number;
  /** The last decisions by event id (bounded), for idempotent redelivery. */
  recent: DigestEntry[];
}

export interface DigestEntry {
  eventId: string;
  alert: boolean;
  failures: number;
}

export type DigestDecision = { alert: true; failures: number } | { alert: false; failures: number };

export const DIGEST_RECENT_LIMIT = 200;

export function emptyDigest(userId: string): DigestState {
  return { userId, lastAlertAt: null, pending: 0, recent: [] };
}

export function applyFailedAttempt(
  state: DigestState,
  attempt: { eventId: string; at: Date },
  windowMs: number,
): { decision: DigestDecision; state: DigestState; changed: boolean } {
  const seen = state.recent.find((entry) => entry.eventId === attempt.eventId);
  if (seen)
    return {
      decision: { alert: seen.alert, failures: seen.failures } as DigestDecision,
      state,
      changed: false,
    };

  const open = state.lastAlertAt !== null && attempt.at.getTime() - state.lastAlertAt.getTime() < windowMs;
  const failures = state.pending + 1;
  const recent = (entry: DigestEntry) => [...state.recent, entry].slice(-DIGEST_RECENT_LIMIT);
  if (open) {
    return {
      decision: { alert: false, failures },
      state: {
        ...state,
        pending: failures,
        recent: recent({ eventId: attempt.eventId, alert: false, failures }),
      },
      changed: true,
    };
  }
  return {
    decision: { alert: true, failures },
    state: {
      ...state,
      lastAlertAt: attempt.at,
      pending: 0,
      recent: recent({ eventId: attempt.eventId, alert: true, failures }),
    },
    changed: true,
  };
}
