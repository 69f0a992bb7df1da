import { encodeEvent, fromMessage, toHeaders } from '@guardian/events';
import { describe, expect, it } from 'vitest';
import { LiveFeed, toFeedEvent, type FeedEvent } from './live-feed.js';

const row = (seq: number, userId = 'u1'): FeedEvent => ({
  seq,
  eventId: `e${seq}`,
  type: 'identity.login.failed',
  outcome: 'failed',
  at: new Date(0).toISOString(),
  userId,
  role: 'user',
  identifier: 'alice',
  method: 'password',
  reason: 'INVALID_CREDENTIALS',
  attemptCount: 1,
  ip: '203.0.113.9',
  userAgent: 'test',
});

describe('LiveFeed', () => {
  describe('push', () => {
    it('keeps the newest rows up to its capacity and skips replays', () => {
      const feed = new LiveFeed(2);
      for (const seq of [1, 2, 3, 3, 2]) feed.push(row(seq));
      expect(feed.recent().map((r) => r.seq)).toEqual([3, 2]);
    });

    it('tells subscribers about new rows until they unsubscribe', () => {
      const feed = new LiveFeed();
      const seen: number[] = [];
      const off = feed.subscribe((r) => seen.push(r.seq));
      feed.push(row(1));
      off();
      feed.push(row(2));
      expect(seen).toEqual([1]);
    });
  });

  describe('recent / since', () => {
    it('filters by user and resumes after a sequence', () => {
      const feed = new LiveFeed();
      feed.push(row(1, 'a'));
      feed.push(row(2, 'b'));
      feed.push(row(3, 'a'));
      expect(feed.recent({ userId: 'a' }).map((r) => r.seq)).toEqual([3, 1]);
      expect(feed.since(1).map((r) => r.seq)).toEqual([2, 3]);
    });
  });
});

describe('toFeedEvent', () => {
  it('turns a failed login event into a row and ignores other events', () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const failed = encodeEvent(
      'identity.login.failed',
      {
        userId: 'u9',
        identifier: 'bob',
        method: 'password',
        client: { ip: '198.51.100.1', userAgent: 'curl' },
        attemptCount: 2,
        reason: 'INVALID_CREDENTIALS',
        at,
        role: 'admin',
      },
      { source: 'test', subject: 'u9' },
    );
    const event = fromMessage(toHeaders(failed), failed.data);
    expect(toFeedEvent(event, 42)).toMatchObject({
      seq: 42,
      outcome: 'failed',
      role: 'admin',
      userId: 'u9',
      identifier: 'bob',
      ip: '198.51.100.1',
      attemptCount: 2,
      at: at.toISOString(),
    });
    const other = encodeEvent(
      'identity.user.deleted',
      { userId: 'u9', deletedBy: 'm' },
      { source: 'test', subject: 'u9' },
    );
    expect(toFeedEvent(fromMessage(toHeaders(other), other.data), 43)).toBeUndefined();
  });
});
