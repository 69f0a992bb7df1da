import { describe, expect, it } from 'vitest';

import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('returns a value until it is older than the ttl, then forgets it', () => {
    let now = 0;
    const cache = new TtlCache<string, number>(1000, 10, () => now);
    cache.set('a', 1);
    now = 1000;
    expect(cache.get('a')).toBe(1);
    now = 1001;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the oldest entry beyond maxEntries and an entry on delete', () => {
    const cache = new TtlCache<string, number>(1000, 2, () => 0);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3); // refreshed: now the newest
    cache.set('c', 4);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([3, undefined, 4]);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
  });

  it('keeps nothing with a ttl of 0', () => {
    const cache = new TtlCache<string, number>(0);
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
  });

  describe('getOrLoad', () => {
    const deferred = <T>() => {
      let resolve!: (value: T) => void;
      const promise = new Promise<T>((r) => (resolve = r));
      return { promise, resolve };
    };

    it('loads once for concurrent readers and serves the cached value afterwards', async () => {
      const cache = new TtlCache<string, number>(1000);
      let loads = 0;
      const gate = deferred<number>();
      const load = () => {
        loads++;
        return gate.promise;
      };
      const both = Promise.all([cache.getOrLoad('a', load), cache.getOrLoad('a', load)]);
      gate.resolve(7);
      expect(await both).toEqual([7, 7]);
      expect(await cache.getOrLoad('a', load)).toBe(7);
      expect(loads).toBe(1);
    });

    it('does not cache a missing value', async () => {
      const cache = new TtlCache<string, number>(1000);
      expect(await cache.getOrLoad('a', async () => undefined)).toBeUndefined();
      expect(await cache.getOrLoad('a', async () => 2)).toBe(2);
    });

    it.each(['set', 'delete', 'clear'] as const)(
      'does not cache what a load read when a %s happened meanwhile',
      async (write) => {
        const cache = new TtlCache<string, number>(1000);
        const stale = deferred<number>();
        const reading = cache.getOrLoad('a', () => stale.promise);
        if (write === 'set') cache.set('b', 9);
        else if (write === 'delete') cache.delete('a');
        else cache.clear();
        stale.resolve(1); // read before the write: must not be cached
        expect(await reading).toBe(1);
        expect(await cache.getOrLoad('a', async () => 2)).toBe(2);
      },
    );

    it('starts a fresh load after an invalidation instead of joining the one under way', async () => {
      const cache = new TtlCache<string, number>(1000);
      const stale = deferred<number>();
      const first = cache.getOrLoad('a', () => stale.promise);
      cache.delete('a');
      const second = cache.getOrLoad('a', async () => 2);
      stale.resolve(1);
      expect([await first, await second]).toEqual([1, 2]);
      expect(cache.get('a')).toBe(2);
    });
  });
});
