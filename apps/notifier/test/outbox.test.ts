import { NotificationStatus } from '@guardian/proto/gen/guardian/notifier/v1/notification';
import { waitFor } from '@guardian/testkit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CHROME_UA, newEventSpace, Publisher, startNotifier, type NotifierHarness } from './harness.js';

const WINDOW_MS = 10 * 60_000;

/** The notifier with the outbox transport (no Resend key): the dev default. */
describe('notifier with the outbox transport', () => {
  const space = newEventSpace();
  let publisher: Publisher;
  let notifier: NotifierHarness;

  beforeAll(async () => {
    publisher = await Publisher.connect(space);
    notifier = await startNotifier(space, { env: { NOTIFIER_DIGEST_WINDOW_MS: String(WINDOW_MS) } });
  });

  afterAll(async () => {
    await notifier?.stop();
    await publisher?.close();
  });

  async function registeredUser(locale = 'en') {
    const userId = randomUUID();
    const email = `${userId.slice(0, 8)}@example.com`;
    await notifier.settled(await publisher.register({ userId, email, fullName: 'Ana Lima', locale }));
    return { userId, email };
  }

  /** The message the outbox transport kept with the event's delivery record. */
  const outbox = async (eventId: string) =>
    (await notifier.parts.repositories.notifications.getWithMessage(eventId))?.message;

  it('stores the rendered message with recipient, subject, locale, IP and device', async () => {
    const { userId, email } = await registeredUser('es');
    const eventId = await publisher.publish('identity.login.failed', {
      userId,
      identifier: email,
      method: 'password',
      attemptCount: 2,
      client: { ip: '203.0.113.50', userAgent: CHROME_UA },
      at: new Date('2026-11-21T09:00:00Z'),
    });
    expect(await notifier.settled(eventId)).toMatchObject({
      status: 'sent',
      transport: 'outbox',
      providerId: eventId,
      locale: 'es',
    });
    const message = await outbox(eventId);
    expect(message).toMatchObject({
      from: expect.stringContaining('@'),
      to: email,
      subject: 'Intentos fallidos de inicio de sesión en tu cuenta de Guardian',
    });
    expect(message?.html).toContain('203.0.113.50');
    expect(message?.html).toContain('Chrome 120 en Windows');
    expect(message?.text).toContain('Fallos consecutivos: 2');
  });

  describe('failed-login digest', () => {
    it('sends one alert for 20 failures in a window; the next window’s alert carries the count', async () => {
      const { userId } = await registeredUser('en');
      const t0 = new Date('2026-11-21T10:00:00Z');
      const ids = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          publisher.publish('identity.login.failed', {
            userId,
            method: 'password',
            attemptCount: i + 1,
            client: { ip: '198.51.100.20', userAgent: CHROME_UA },
            at: new Date(t0.getTime() + i * 1000),
          }),
        ),
      );
      const records = await Promise.all(ids.map((id) => notifier.settled(id)));
      expect(records.filter((r) => r.status === 'sent')).toHaveLength(1);
      expect(
        records.filter((r) => r.status === 'suppressed' && r.suppressedReason === 'digest'),
      ).toHaveLength(19);
      const stored = await Promise.all(ids.map(outbox));
      expect(stored.filter(Boolean)).toHaveLength(1);

      const next = await publisher.publish('identity.login.failed', {
        userId,
        method: 'face',
        attemptCount: 21,
        client: { ip: '198.51.100.20', userAgent: CHROME_UA },
        at: new Date(t0.getTime() + WINDOW_MS + 60_000),
      });
      expect(await notifier.settled(next)).toMatchObject({ status: 'sent', digestCount: 20 });
      expect((await outbox(next))?.text).toContain(
        'There were 20 failed attempts to sign in to your account since our last alert.',
      );
    });
  });

  describe('preferences', () => {
    it('suppresses login-success alerts after opting out, never security alerts', async () => {
      const { userId } = await registeredUser('pt-BR');
      const token = await notifier.token(userId);
      const { preferences } = await notifier.client.updatePreferences(
        { userId: '', loginSuccessAlerts: false },
        { accessToken: token },
      );
      expect(preferences).toEqual({ userId, loginSuccessAlerts: false });
      expect(
        (await notifier.client.getPreferences({ userId: '' }, { accessToken: token })).preferences,
      ).toEqual({ userId, loginSuccessAlerts: false });

      const success = await publisher.publish('identity.login.succeeded', {
        userId,
        method: 'face',
        client: { ip: '192.0.2.7', userAgent: CHROME_UA },
      });
      const changed = await publisher.publish('identity.password.changed', {
        userId,
        client: { ip: '192.0.2.7', userAgent: CHROME_UA },
      });
      expect(await notifier.settled(success)).toMatchObject({
        status: 'suppressed',
        suppressedReason: 'preference',
      });
      expect(await notifier.settled(changed)).toMatchObject({ status: 'sent', template: 'password_changed' });
      expect(await outbox(success)).toBeUndefined();
    });

    it("refuses a user's change of someone else's preferences and lets an admin do it", async () => {
      const { userId } = await registeredUser();
      const other = await notifier.token(randomUUID());
      await expect(
        notifier.client.updatePreferences({ userId, loginSuccessAlerts: false }, { accessToken: other }),
      ).rejects.toMatchObject({
        kind: 'forbidden',
      });
      await expect(notifier.client.getPreferences({ userId }, {})).rejects.toMatchObject({
        kind: 'unauthenticated',
      });
      const admin = await notifier.token(randomUUID(), 'admin');
      const { preferences } = await notifier.client.updatePreferences(
        { userId, loginSuccessAlerts: false },
        { accessToken: admin },
      );
      expect(preferences?.loginSuccessAlerts).toBe(false);
    });
  });

  describe('user deletion', () => {
    it('forgets the address and stops mail', async () => {
      const { userId, email } = await registeredUser();
      const before = await publisher.publish('identity.password.changed', { userId });
      expect(await notifier.settled(before)).toMatchObject({ status: 'sent', recipient: email });

      const deleted = await publisher.publish('identity.user.deleted', { userId, deletedBy: 'admin' });
      await waitFor(async () => (await notifier.parts.repositories.contacts.get(userId))?.deleted, {
        what: 'contact tombstone',
      });
      void deleted;
      expect(await notifier.parts.repositories.contacts.get(userId)).toMatchObject({
        email: '',
        name: '',
        deleted: true,
      });
      expect(await notifier.record(before)).toMatchObject({ recipient: '' });
      expect(await outbox(before)).toBeUndefined();

      const after = await publisher.publish('identity.account.locked', { userId, attemptCount: 5 });
      expect(await notifier.settled(after)).toMatchObject({
        status: 'suppressed',
        suppressedReason: 'user_deleted',
        recipient: '',
      });
      expect(await outbox(after)).toBeUndefined();
      // A late update cannot bring the address back.
      const late = await publisher.publish(
        'identity.user.updated',
        { userId, email: 'back@example.com' },
        { time: new Date(Date.now() + 60_000) },
      );
      const probe = await publisher.publish('identity.password.changed', { userId });
      expect(await notifier.settled(probe)).toMatchObject({
        status: 'suppressed',
        suppressedReason: 'user_deleted',
      });
      void late;
    });
  });

  describe('NotificationService.List and Get', () => {
    it('shows users their own deliveries, admins everyone’s, with filters and pages', async () => {
      const a = await registeredUser();
      const b = await registeredUser();
      const ids = [];
      for (let i = 0; i < 5; i++)
        ids.push(await publisher.publish('biometric.enrolled', { userId: a.userId, sampleCount: 3 }));
      ids.push(await publisher.publish('biometric.enrolled', { userId: b.userId, sampleCount: 1 }));
      await Promise.all(ids.map((id) => notifier.settled(id)));

      const tokenA = await notifier.token(a.userId);
      const seen: string[] = [];
      let pageToken = '';
      do {
        const page = await notifier.client.list(
          { userId: '', statuses: [], templates: ['biometric_enrolled'], pageSize: 2, pageToken },
          { accessToken: tokenA },
        );
        expect(page.notifications.length).toBeLessThanOrEqual(2);
        seen.push(...page.notifications.map((n) => n.eventId));
        pageToken = page.nextPageToken;
      } while (pageToken);
      expect(seen.sort()).toEqual(ids.slice(0, 5).sort());

      await expect(
        notifier.client.list(
          { userId: b.userId, statuses: [], templates: [], pageSize: 10, pageToken: '' },
          { accessToken: tokenA },
        ),
      ).rejects.toMatchObject({ kind: 'forbidden' });

      const admin = await notifier.token(randomUUID(), 'master');
      const all = await notifier.client.list(
        {
          userId: '',
          statuses: [NotificationStatus.NOTIFICATION_STATUS_SENT],
          templates: ['biometric_enrolled'],
          pageSize: 200,
          pageToken: '',
        },
        { accessToken: admin },
      );
      expect(all.notifications.map((n) => n.userId)).toEqual(expect.arrayContaining([a.userId, b.userId]));
      expect(all.notifications.every((n) => n.status === NotificationStatus.NOTIFICATION_STATUS_SENT)).toBe(
        true,
      );

      const one = await notifier.client.get({ eventId: ids[0]! }, { accessToken: tokenA });
      expect(one.notification).toMatchObject({
        eventId: ids[0],
        template: 'biometric_enrolled',
        recipient: a.email,
      });
      expect(one.message?.subject).toBe('Face biometrics enrolled on your Guardian account');
      await expect(notifier.client.get({ eventId: ids[5]! }, { accessToken: tokenA })).rejects.toMatchObject({
        kind: 'not_found',
      });
    });
  });

  describe('metrics', () => {
    it('counts outcomes by template and reports consumer lag', async () => {
      const text = await notifier.registry.metrics();
      expect(text).toMatch(/notifier_notifications_total\{template="welcome",status="sent"/);
      expect(text).toMatch(/notifier_consumer_pending_messages\{[^}]*\} \d+/);
    });
  });
});
