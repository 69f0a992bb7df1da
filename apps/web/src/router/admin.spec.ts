import { LiveSessionVerifier, type AccessClaims, type Role, type TokenVerifier } from '@guardian/auth';
import { testLogger } from '@guardian/testkit';
import { describe, expect, it } from 'vitest';
import type { ServiceClients } from '../clients.js';
import { LiveFeed, type FeedEvent } from '../services/live-feed.js';
import { createCaller } from './root.js';
import { createContextInner } from './trpc.js';

/**
 * Tokens named after their role, each with session `s-<role>` (the real verifier is exercised by
 * the integration tests); `expiresInMs` shortens every token's life.
 */
let expiresInMs = 60_000;
const tokens: TokenVerifier = {
  verify: async (token: string): Promise<AccessClaims> => {
    if (token !== 'admin' && token !== 'user' && token !== 'master') throw new Error('bad token');
    return {
      userId: token,
      sessionId: `s-${token}`,
      role: token,
      expiresAt: new Date(Date.now() + expiresInMs),
    };
  },
};
let sessions = new LiveSessionVerifier(tokens, async () => undefined);

const row = (seq: number, role: Role | '' = 'user', userId = 'u1'): FeedEvent => ({
  seq,
  eventId: `e${seq}`,
  type: 'identity.login.failed',
  outcome: 'failed',
  at: new Date(0).toISOString(),
  userId,
  role,
  identifier: 'alice',
  method: 'password',
  reason: 'INVALID_CREDENTIALS',
  attemptCount: 1,
  ip: '',
  userAgent: '',
});

function callerFor(token: string, feed: LiveFeed, signal?: AbortSignal) {
  return createCaller(
    createContextInner({
      logger: testLogger(),
      verifier: sessions,
      sessions,
      clients: {} as ServiceClients, // not called by the feed procedures
      services: [],
      feed,
      consumerLag: async () => [],
      limits: { imageBytes: 1, documentBytes: 1 },
      requestId: 'test',
      accessToken: token,
    }),
    signal ? { signal } : {},
  );
}

/** The id of a `tracked(id, data)` envelope as the caller yields it. */
const idOf = (value: unknown): string => (value as [string, unknown])[0];

describe('admin router', () => {
  describe('liveEvents', () => {
    it('back-fills after lastEventId, then streams new rows, and ends on abort', async () => {
      const feed = new LiveFeed();
      for (const seq of [1, 2, 3]) feed.push(row(seq));
      const abort = new AbortController();
      const stream = await callerFor('admin', feed, abort.signal).admin.liveEvents({ lastEventId: '1' });
      const iterator = stream[Symbol.asyncIterator]();
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) ids.push(idOf((await iterator.next()).value));
      const next = iterator.next();
      feed.push(row(4));
      ids.push(idOf((await next).value));
      expect(ids).toEqual(['2', '3', '4']);
      abort.abort();
      expect((await iterator.next()).done).toBe(true);
    });

    it("shows an admin no attempts on accounts they may not manage, a master everyone's", async () => {
      const feed = new LiveFeed();
      feed.push(row(1, 'user', 'u1'));
      feed.push(row(2, 'master', 'm1'));
      feed.push(row(3, 'admin', 'a1'));
      feed.push(row(4, '', ''));
      feed.push(row(5, 'admin', 'admin'));
      const seen = async (viewer: string) =>
        (await callerFor(viewer, feed).admin.loginAttempts()).attempts.map((r) => r.seq).sort();
      expect(await seen('admin')).toEqual([1, 4, 5]);
      expect(await seen('master')).toEqual([1, 2, 3, 4, 5]);

      const abort = new AbortController();
      const stream = await callerFor('admin', feed, abort.signal).admin.liveEvents({ lastEventId: '0' });
      const iterator = stream[Symbol.asyncIterator]();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(idOf((await iterator.next()).value));
      const next = iterator.next();
      feed.push(row(6, 'master', 'm1'));
      feed.push(row(7, 'user', 'u2'));
      ids.push(idOf((await next).value));
      expect(ids).toEqual(['1', '4', '5', '7']);
      abort.abort();
    });

    it('ends an open stream when its session is revoked', async () => {
      sessions = new LiveSessionVerifier(tokens, async () => undefined);
      const feed = new LiveFeed();
      const stream = await callerFor('admin', feed).admin.liveEvents();
      const iterator = stream[Symbol.asyncIterator]();
      const next = iterator.next();
      sessions.revoked(['s-master']);
      feed.push(row(1));
      expect((await next).done).toBe(false);
      const after = iterator.next();
      sessions.revoked(['s-admin']);
      expect((await after).done).toBe(true);
    });

    it('ends an open stream when its token expires', async () => {
      expiresInMs = 300;
      try {
        const stream = await callerFor('admin', new LiveFeed()).admin.liveEvents();
        const started = Date.now();
        expect((await stream[Symbol.asyncIterator]().next()).done).toBe(true);
        expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      } finally {
        expiresInMs = 60_000;
      }
    });

    it('refuses a user who is not an administrator', async () => {
      await expect(callerFor('user', new LiveFeed()).admin.loginAttempts()).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    });
  });
});
