import { describe, expect, it } from 'vitest';
import { SessionLivenessCache } from './session-cache.js';

describe('SessionLivenessCache', () => {
  it('remembers a live session for ttlMs, and forgets revoked ones at once', () => {
    let now = 0;
    const cache = new SessionLivenessCache(1000, 10, () => now);
    expect(cache.isFresh('s1')).toBe(false);
    cache.markLive('s1');
    now = 1000;
    expect(cache.isFresh('s1')).toBe(true);
    now = 1001;
    expect(cache.isFresh('s1')).toBe(false);
    cache.markLive('s1');
    cache.forget(['s1']);
    expect(cache.isFresh('s1')).toBe(false);
  });
  it('evicts the oldest entry beyond maxEntries and caches nothing with ttl 0', () => {
    const cache = new SessionLivenessCache(1000, 2, () => 0);
    cache.markLive('a');
    cache.markLive('b');
    cache.markLive('c');
    expect([cache.isFresh('a'), cache.isFresh('b'), cache.isFresh('c')]).toEqual([false, true, true]);
    const off = new SessionLivenessCache(0);
    off.markLive('a');
    expect(off.isFresh('a')).toBe(false);
  });
});
