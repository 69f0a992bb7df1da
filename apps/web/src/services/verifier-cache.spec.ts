import type { AccessClaims, TokenVerifier } from '@guardian/auth';
import { describe, expect, it } from 'vitest';
import { CachingVerifier } from './verifier-cache.js';

class CountingVerifier implements TokenVerifier {
  calls = 0;
  constructor(private readonly expiresAt: number) {}
  async verify(token: string): Promise<AccessClaims> {
    this.calls++;
    if (token === 'bad') throw new Error('INVALID_TOKEN');
    return { userId: token, sessionId: 's', role: 'user', expiresAt: new Date(this.expiresAt) };
  }
}

describe('CachingVerifier', () => {
  describe('verify', () => {
    it('verifies a token once until it expires', async () => {
      let now = 1_000;
      const inner = new CountingVerifier(5_000);
      const verifier = new CachingVerifier(inner, { now: () => now });
      await verifier.verify('a');
      await verifier.verify('a');
      expect(inner.calls).toBe(1);
      now = 5_000;
      await verifier.verify('a');
      expect(inner.calls).toBe(2);
    });

    it('never caches a failure', async () => {
      const inner = new CountingVerifier(Date.now() + 60_000);
      const verifier = new CachingVerifier(inner);
      await expect(verifier.verify('bad')).rejects.toThrow('INVALID_TOKEN');
      await expect(verifier.verify('bad')).rejects.toThrow('INVALID_TOKEN');
      expect(inner.calls).toBe(2);
    });

    it('evicts the oldest entry when full', async () => {
      const inner = new CountingVerifier(Date.now() + 60_000);
      const verifier = new CachingVerifier(inner, { maxEntries: 2 });
      for (const token of ['a', 'b', 'c']) await verifier.verify(token);
      await verifier.verify('a');
      expect(inner.calls).toBe(4);
    });
  });
});
