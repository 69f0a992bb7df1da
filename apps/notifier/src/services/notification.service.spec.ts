import { createLogger } from '@guardian/logger';
import { describe, expect, it } from 'vitest';

import type { NotificationRecord } from '../repositories/notification.repository.js';
import { applyUserEvent, type Contact } from './address-book.js';
import type { TransportErrorInfo } from './delivery-errors.js';
import { makeContact, makeEvent } from './event-fixtures.js';
import { applyFailedAttempt, emptyDigest, type DigestState } from './failed-login-digest.js';
import type { OutgoingEmail, SendResult } from './mail.js';
import { DEFAULT_PREFERENCES } from './notification-policy.js';
import { NotificationDispatcher, type DispatcherOptions } from './notification.service.js';

const options: DispatcherOptions = {
  from: 'Guardian <no-reply@guardian.test>',
  digestWindowMs: 60_000,
  maxDeliver: 3,
  backoff: { baseMs: 100, maxMs: 1000 },
  noAddressRetries: 2,
  noAddressDelayMs: 50,
  dashboardUrl: 'https://guardian.example',
};

/** Hand-made in-memory fakes of the repositories, the transport and the dead-letter publisher. */
function setup(replies: SendResult[] = []) {
  const contacts = new Map<string, Contact>([['u1', makeContact()]]);
  const digests = new Map<string, DigestState>();
  const records = new Map<string, Partial<NotificationRecord>>();
  const sent: OutgoingEmail[] = [];
  const deadLetters: string[] = [];
  const forgotten: string[] = [];
  const dispatcher = new NotificationDispatcher(
    {
      contacts: {
        get: async (id) => contacts.get(id),
        apply: async (event) => {
          const next = applyUserEvent(contacts.get(event.data.userId), event);
          if (next) contacts.set(next.userId, next);
          return next;
        },
      },
      preferences: { get: async () => ({ ...DEFAULT_PREFERENCES }) },
      digests: {
        apply: async (userId, attempt, windowMs) => {
          const result = applyFailedAttempt(digests.get(userId) ?? emptyDigest(userId), attempt, windowMs);
          digests.set(userId, result.state);
          return result.decision;
        },
      },
      notifications: {
        get: async (id) => records.get(id) as NotificationRecord | undefined,
        recordSuppressed: async (init, reason) => {
          if (records.has(init.eventId)) return false;
          records.set(init.eventId, { ...init, status: 'suppressed', suppressedReason: reason });
          return true;
        },
        recordFinal: async (init, outcome) =>
          void records.set(init.eventId, { ...records.get(init.eventId), ...init, ...outcome }),
        recordRetry: async (init, attempts, lastError) =>
          void records.set(init.eventId, {
            ...records.get(init.eventId),
            ...init,
            status: 'pending',
            attempts,
            lastError,
          }),
      },
      transport: {
        name: 'outbox',
        send: async (email) => {
          sent.push(email);
          return replies.shift() ?? { ok: true, providerId: `p-${sent.length}` };
        },
      },
      deadLetters: { publish: async (event) => void deadLetters.push(event.id) },
      forgetUser: async (id) => void forgotten.push(id),
    },
    options,
    createLogger('spec', { level: 'silent' }),
  );
  return { dispatcher, contacts, records, sent, deadLetters, forgotten };
}

const failure = (statusCode: number | null, name: string): SendResult => ({
  ok: false,
  error: { statusCode, name, message: 'x' } satisfies TransportErrorInfo,
});

describe('NotificationDispatcher', () => {
  describe('handle', () => {
    it('sends once, and a redelivery of a sent event sends nothing', async () => {
      const { dispatcher, sent, records } = setup();
      const event = makeEvent('identity.password.changed', { userId: 'u1' });
      expect(await dispatcher.handle(event, { deliveryCount: 1 })).toEqual({ kind: 'ack' });
      expect(await dispatcher.handle(event, { deliveryCount: 2 })).toEqual({ kind: 'ack' });
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        idempotencyKey: event.id,
        to: 'maria@example.com',
        locale: 'pt-BR',
        template: 'password_changed',
      });
      expect(records.get(event.id)).toMatchObject({ status: 'sent', attempts: 1, providerId: 'p-1' });
    });

    it('retries a transient failure, then records the send with the attempt count', async () => {
      const { dispatcher, records } = setup([failure(503, 'application_error')]);
      const event = makeEvent('identity.account.locked', { userId: 'u1' });
      expect(await dispatcher.handle(event, { deliveryCount: 1 })).toMatchObject({ kind: 'retry' });
      expect(records.get(event.id)).toMatchObject({ status: 'pending', attempts: 1 });
      expect(await dispatcher.handle(event, { deliveryCount: 2 })).toEqual({ kind: 'ack' });
      expect(records.get(event.id)).toMatchObject({ status: 'sent', attempts: 2 });
    });

    it('fails and dead-letters on a permanent error or on the last delivery', async () => {
      const permanent = setup([failure(422, 'validation_error')]);
      const a = makeEvent('biometric.enrolled', { userId: 'u1' });
      expect(await permanent.dispatcher.handle(a, { deliveryCount: 1 })).toEqual({ kind: 'ack' });
      expect(permanent.records.get(a.id)).toMatchObject({ status: 'failed' });
      expect(permanent.deadLetters).toEqual([a.id]);

      const exhausted = setup([failure(429, 'rate_limit_exceeded')]);
      const b = makeEvent('biometric.enrolled', { userId: 'u1' });
      expect(await exhausted.dispatcher.handle(b, { deliveryCount: options.maxDeliver })).toEqual({
        kind: 'ack',
      });
      expect(exhausted.records.get(b.id)).toMatchObject({
        status: 'failed',
        lastError: expect.stringContaining('retries exhausted'),
      });
      expect(exhausted.deadLetters).toEqual([b.id]);
    });

    it('waits a few deliveries for an unknown address, then suppresses', async () => {
      const { dispatcher, records } = setup();
      const event = makeEvent('identity.password.changed', { userId: 'stranger' });
      expect(await dispatcher.handle(event, { deliveryCount: 1 })).toMatchObject({
        kind: 'retry',
        afterMs: 50,
      });
      expect(await dispatcher.handle(event, { deliveryCount: 3 })).toEqual({ kind: 'ack' });
      expect(records.get(event.id)).toMatchObject({ status: 'suppressed', suppressedReason: 'no_address' });
    });

    it('forgets a deleted user and suppresses what follows', async () => {
      const { dispatcher, forgotten, records, sent } = setup();
      await dispatcher.handle(makeEvent('identity.user.deleted', { userId: 'u1' }), { deliveryCount: 1 });
      expect(forgotten).toEqual(['u1']);
      const event = makeEvent('identity.password.changed', { userId: 'u1' });
      await dispatcher.handle(event, { deliveryCount: 1 });
      expect(records.get(event.id)).toMatchObject({ status: 'suppressed', suppressedReason: 'user_deleted' });
      expect(sent).toHaveLength(0);
    });

    it("mails a video's outcome with a link to its dashboard page, and nothing for its submission", async () => {
      const { dispatcher, sent, records } = setup();
      const submitted = makeEvent('media.video.submitted', { userId: 'u1', jobId: 'j1' });
      expect(await dispatcher.handle(submitted, { deliveryCount: 1 })).toEqual({ kind: 'ack' });
      expect(records.has(submitted.id)).toBe(false);

      const failed = makeEvent('media.video.failed', { userId: 'u1', jobId: 'j1', reason: 'VIDEO_TOO_LONG' });
      expect(await dispatcher.handle(failed, { deliveryCount: 1 })).toEqual({ kind: 'ack' });
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ template: 'video_analyzed', locale: 'pt-BR' });
      expect(sent[0]?.text).toContain('https://guardian.example/videos/j1');
      expect(sent[0]?.html).toContain('href="https://guardian.example/videos/j1"');
    });

    it('digests failed logins handled concurrently for one user', async () => {
      const { dispatcher, records } = setup();
      const events = Array.from({ length: 10 }, (_, i) =>
        makeEvent('identity.login.failed', { userId: 'u1', at: new Date(Date.UTC(2026, 10, 21, 10, 0, i)) }),
      );
      await Promise.all(events.map((e) => dispatcher.handle(e, { deliveryCount: 1 })));
      const statuses = events.map((e) => records.get(e.id)?.status);
      expect(statuses.filter((s) => s === 'sent')).toHaveLength(1);
      expect(statuses.filter((s) => s === 'suppressed')).toHaveLength(9);
    });
  });
});
