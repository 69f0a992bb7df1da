import { describe, expect, it } from 'vitest';
import { isAuthEndpoint, RateLimiter } from './security.js';

describe('security', () => {
  describe('RateLimiter', () => {
    it('refuses past the budget until the window ends', () => {
      let now = 1_000;
      const limiter = new RateLimiter(2, 10_000, () => now);
      expect(limiter.hit('ip').allowed).toBe(true);
      expect(limiter.hit('ip').allowed).toBe(true);
      expect(limiter.hit('ip')).toEqual({ allowed: false, retryAfterMs: 10_000 });
      expect(limiter.hit('other').allowed).toBe(true);
      now += 10_000;
      expect(limiter.hit('ip').allowed).toBe(true);
    });
  });

  describe('isAuthEndpoint', () => {
    it('finds auth procedures in tRPC batches and REST paths', () => {
      expect(isAuthEndpoint('/trpc/auth.login?batch=1')).toBe(true);
      expect(isAuthEndpoint('/trpc/me.profile,auth.refresh?batch=1')).toBe(true);
      expect(isAuthEndpoint('/trpc/me.profile')).toBe(false);
      expect(isAuthEndpoint('/api/auth/login')).toBe(true);
      expect(isAuthEndpoint('/api/user/profile')).toBe(false);
    });
  });
});
