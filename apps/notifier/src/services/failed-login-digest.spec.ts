import { describe, expect, it } from 'vitest';

import {
  applyFailedAttempt,
  DIGEST_RECENT_LIMIT,
  emptyDigest,
  type DigestState,
} from './failed-login-digest.js';

const WINDOW = 15 * 60_000;
const t0 = new Date('2026-11-21T10:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

function run(state: DigestState, attempts: Array<{ eventId: string; at: Date }>) {
  const decisions = [];
  for (const attempt of attempts) {
    const result = applyFailedAttempt(state, attempt, WINDOW);
    state = result.state;
    decisions.push(result.decision);
  }
  return { state, decisions };
}

describe('applyFailedAttempt', () => {
  it('alerts on the first failure, then stays quiet for the rest of the window', () => {
    const attempts = Array.from({ length: 20 }, (_, i) => ({ eventId: `e${i}`, at: at(i * 1000) }));
    const { decisions, state } = run(emptyDigest('u1'), attempts);
    expect(decisions.filter((d) => d.alert)).toEqual([{ alert: true, failures: 1 }]);
    expect(state.pending).toBe(19);
  });

  it('carries the number of failures since the last alert into the next window', () => {
    const attempts = Array.from({ length: 20 }, (_, i) => ({ eventId: `e${i}`, at: at(i * 1000) }));
    const { state } = run(emptyDigest('u1'), attempts);
    const next = applyFailedAttempt(state, { eventId: 'late', at: at(WINDOW + 1) }, WINDOW);
    expect(next.decision).toEqual({ alert: true, failures: 20 });
    expect(next.state.pending).toBe(0);
    expect(next.state.lastAlertAt).toEqual(at(WINDOW + 1));
  });

  it('gives a redelivered event its first decision and changes nothing', () => {
    const first = applyFailedAttempt(emptyDigest('u1'), { eventId: 'a', at: t0 }, WINDOW);
    const second = applyFailedAttempt(first.state, { eventId: 'b', at: at(1000) }, WINDOW);
    const again = applyFailedAttempt(second.state, { eventId: 'a', at: t0 }, WINDOW);
    expect(again).toEqual({ decision: { alert: true, failures: 1 }, state: second.state, changed: false });
    const againB = applyFailedAttempt(second.state, { eventId: 'b', at: at(1000) }, WINDOW);
    expect(againB.decision).toEqual({ alert: false, failures: 1 });
    expect(againB.changed).toBe(false);
  });

  it('treats an attempt older than the last alert as inside the window', () => {
    const first = applyFailedAttempt(emptyDigest('u1'), { eventId: 'a', at: at(60_000) }, WINDOW);
    expect(applyFailedAttempt(first.state, { eventId: 'old', at: t0 }, WINDOW).decision.alert).toBe(false);
  });

  it('keeps a bounded memory of event ids', () => {
    const attempts = Array.from({ length: DIGEST_RECENT_LIMIT + 50 }, (_, i) => ({
      eventId: `e${i}`,
      at: at(i),
    }));
    expect(run(emptyDigest('u1'), attempts).state.recent).toHaveLength(DIGEST_RECENT_LIMIT);
  });
});
