import { DomainError } from '@guardian/domain';
import { describe, expect, it } from 'vitest';

import { LiveSessionVerifier } from './live-sessions.js';
import type { AccessClaims, TokenVerifier } from './verifier.js';

/** Tokens are session ids; identity's answer is the `revoked` set at the time of the call. */
function setup() {
  const tokens: TokenVerifier = {
    verify: async (token): Promise<AccessClaims> => ({
      userId: 'u',
      sessionId: token,
      role: 'user',
      expiresAt: new Date(Date.now() + 60_000),
    }),
  };
  const revoked = new Set<string>();
  let asked = 0;
  const verifier = new LiveSessionVerifier(tokens, async (token) => {
    asked++;
    if (revoked.has(token)) throw new DomainError('unauthenticated', 'SESSION_REVOKED', 'revoked');
  });
  return { verifier, revoked, asked: () => asked };
}

describe('LiveSessionVerifier', () => {
  it('asks identity on every call until the revocation feed follows', async () => {
    const { verifier, asked } = setup();
    await verifier.verify('s1');
    await verifier.verify('s1');
    expect(asked()).toBe(2);
  });

  it('asks once per session while following, again after a revocation names it', async () => {
    const { verifier, revoked, asked } = setup();
    verifier.resume();
    await verifier.verify('s1');
    await verifier.verify('s1');
    expect(asked()).toBe(1);
    revoked.add('s1');
    verifier.revoked(['s1']);
    await expect(verifier.verify('s1')).rejects.toMatchObject({ reason: 'SESSION_REVOKED' });
    expect(asked()).toBe(2);
  });

  it('forgets everything when suspended (revocations may be missed) and remembers nothing until resumed', async () => {
    const { verifier, revoked, asked } = setup();
    verifier.resume();
    await verifier.verify('s1');
    verifier.suspend();
    revoked.add('s1'); // revoked while the feed was cut off: no event will say so
    await expect(verifier.verify('s1')).rejects.toMatchObject({ reason: 'SESSION_REVOKED' });
    await verifier.verify('s2');
    await verifier.verify('s2');
    expect(asked()).toBe(4);
  });

  it('does not remember a "live" answer that raced a revocation', async () => {
    const tokens: TokenVerifier = {
      verify: async (sessionId) => ({
        userId: 'u',
        sessionId,
        role: 'user',
        expiresAt: new Date(Date.now() + 60_000),
      }),
    };
    let answer: (() => void) | undefined;
    let revoked = false;
    const verifier = new LiveSessionVerifier(tokens, async () => {
      if (revoked) throw new DomainError('unauthenticated', 'SESSION_REVOKED', 'revoked');
      await new Promise<void>((resolve) => (answer = resolve)); // identity said "live", still on the wire
    });
    verifier.resume();
    const pending = verifier.verify('s1');
    await new Promise((resolve) => setTimeout(resolve, 10));
    revoked = true;
    verifier.revoked(['s1']);
    answer!();
    await pending;
    await expect(verifier.verify('s1')).rejects.toMatchObject({ reason: 'SESSION_REVOKED' });
  });

  it("tells a session's watchers when it is revoked, and no one else", () => {
    const { verifier } = setup();
    const told: string[] = [];
    const unwatch = verifier.watch('s1', () => told.push('s1'));
    verifier.watch('s2', () => told.push('s2'));
    verifier.revoked(['s1']);
    unwatch();
    verifier.revoked(['s1']);
    expect(told).toEqual(['s1']);
  });
});
