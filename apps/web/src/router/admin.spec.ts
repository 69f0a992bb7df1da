import type { AccessClaims, TokenVerifier } from '@guardian/auth';
import { testLogger } from '@guardian/testkit';
import { describe, expect, it } from 'vitest';
import type { ServiceClients } from '../clients.js';
import type { Directory } from '../services/directory.js';
import { LiveFeed, type FeedEvent } from '../services/live-feed.js';
import { createCaller } from './root.js';
import { createContextInner } from './trpc.js';

/** A verifier that knows one token per role (the real one is exercised by the integration tests). */
const verifier: TokenVerifier = {
  verify: async (token: string): Promise<AccessClaims> => {
    if (token !== 'admin' && token !== 'user') throw new Error('bad token');
    return { userId: token, sessionId: 's', role: token, expiresAt: new Date(Date.now() + 60_000) };
  },
};

const row = (seq: number): FeedEvent => ({
  seq,
  eventId: `e${seq}`,
  type: 'identity.login.failed',
  outcome: 'failed',
  at: new Date(0).toISOString(),
  userId: 'u1',
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
      verifier,
      clients: {} as ServiceClients, // not called by the feed procedures
      services: [],
      feed,
      directory: {} as Directory,
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

    it('refuses a user who is not an administrator', async () => {
      await expect(callerFor('user', new LiveFeed()).admin.loginAttempts()).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    });
  });
});
