import { TtlCache } from '@guardian/domain';
import { ReplicatedCache } from '@guardian/events';
import { describe, expect, it } from 'vitest';

import { SessionLivenessCache } from './session-cache.js';

describe('SessionLivenessCache', () => {
  it('remembers a live session for the ttl and never a revoked one', async () => {
    let now = 0;
    let reads = 0;
    const live = new Set(['s1']);
    const isLive = (id: string) => async () => (reads++, live.has(id));
    const cache = new SessionLivenessCache(new ReplicatedCache(new TtlCache(1000, 10, () => now)));
    expect(await cache.check('s1', isLive('s1'))).toBe(true);
    now = 1000;
    expect(await cache.check('s1', isLive('s1'))).toBe(true);
    expect(reads).toBe(1);
    now = 1001;
    expect(await cache.check('s1', isLive('s1'))).toBe(true);
    expect(reads).toBe(2);
    expect(await cache.check('s2', isLive('s2'))).toBe(false);
    expect(await cache.check('s2', isLive('s2'))).toBe(false);
    expect(reads).toBe(4);
  });

  it('forgets revoked sessions and announces them only when asked', async () => {
    const announced: string[] = [];
    const cache = new SessionLivenessCache(
      new ReplicatedCache(new TtlCache(60_000), { announce: (id) => announced.push(id) }),
    );
    let live = true;
    expect(await cache.check('s1', async () => live)).toBe(true);
    cache.forget(['s1']);
    live = false;
    expect(await cache.check('s1', async () => live)).toBe(false);
    cache.forgetEverywhere(['s1', 's2']);
    expect(announced).toEqual(['s1', 's2']);
  });

  it('does not remember a check that raced a revocation', async () => {
    const cache = new SessionLivenessCache(new ReplicatedCache(new TtlCache(60_000)));
    let release!: () => void;
    const checking = cache.check(
      's1',
      () => new Promise<boolean>((resolve) => (release = () => resolve(true))),
    );
    cache.forget(['s1']); // the revocation lands while the check's read is on its way
    release();
    expect(await checking).toBe(true);
    expect(await cache.check('s1', async () => false)).toBe(false);
  });

  it('reads every time with no cache', async () => {
    let reads = 0;
    const cache = new SessionLivenessCache();
    await cache.check('s1', async () => (reads++, true));
    await cache.check('s1', async () => (reads++, true));
    expect(reads).toBe(2);
  });
});
