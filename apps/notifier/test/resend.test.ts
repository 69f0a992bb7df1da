import { ack, type EventHandler } from '@guardian/events';
import { waitFor } from '@guardian/testkit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FakeResend } from './fake-resend.js';
import {
  CHROME_UA,
  newEventSpace,
  Publisher,
  startNotifier,
  watchDeadLetters,
  type NotifierHarness,
} from './harness.js';

/** The notifier with the Resend transport, the real SDK pointed at a local stand-in for Resend's API. */
describe('notifier with the Resend transport', () => {
  const space = newEventSpace();
  let resend: FakeResend;
  let publisher: Publisher;
  let notifier: NotifierHarness;

  const env = () => ({
    NOTIFIER_RESEND_API_KEY: resend.apiKey,
    NOTIFIER_RESEND_BASE_URL: resend.baseUrl,
    NOTIFIER_MAIL_FROM: 'Guardian <alerts@guardian.test>',
  });

  beforeAll(async () => {
    resend = await new FakeResend().start();
    publisher = await Publisher.connect(space);
    notifier = await startNotifier(space, { env: env() });
  });

  afterAll(async () => {
    await notifier?.stop();
    await publisher?.close();
    await resend?.stop();
  });

  async function registeredUser(locale = 'pt-BR') {
    const userId = randomUUID();
    const email = `${userId.slice(0, 8)}@example.com`;
    const welcome = await publisher.register({ userId, email, fullName: 'Maria Souza', locale });
    await notifier.settled(welcome);
    return { userId, email };
  }

  describe('login alerts', () => {
    it('sends a localized login alert with recipient, subject, idempotency key, IP and device', async () => {
      const { userId, email } = await registeredUser('pt-BR');
      const eventId = await publisher.publish('identity.login.succeeded', {
        userId,
        sessionId: 's1',
        method: 'password',
        client: { ip: '203.0.113.9', userAgent: CHROME_UA },
        at: new Date('2026-11-21T14:30:00Z'),
      });
      const record = await notifier.settled(eventId);
      expect(record).toMatchObject({
        status: 'sent',
        template: 'login_succeeded',
        locale: 'pt-BR',
        recipient: email,
        transport: 'resend',
        attempts: 1,
      });
      // Only the outbox keeps the message; a record of a real send holds none.
      expect(
        (await notifier.parts.repositories.notifications.getWithMessage(eventId))?.message,
      ).toBeUndefined();

      const requests = resend.requests.filter((r) => r.headers['idempotency-key'] === eventId);
      expect(requests).toHaveLength(1);
      const { body, headers } = requests[0]!;
      expect(headers.authorization).toBe(`Bearer ${resend.apiKey}`);
      expect(body.to).toEqual([email]);
      expect(body.from).toBe('Guardian <alerts@guardian.test>');
      expect(body.subject).toBe('Novo acesso à sua conta Guardian');
      expect(body.headers?.['Content-Language']).toBe('pt-BR');
      expect(body.html).toContain('lang="pt-BR"');
      expect(body.html).toContain('203.0.113.9');
      expect(body.html).toContain('Chrome 120 em Windows');
      expect(body.text).toContain('203.0.113.9');
      expect(record.providerId).not.toBe('');
    });

    it('sends the welcome e-mail from the registration event', async () => {
      const { email } = await registeredUser('es');
      const [welcome] = resend.to(email);
      expect(welcome?.body.subject).toBe('Te damos la bienvenida a Guardian, Maria Souza');
    });
  });

  describe('transport failures', () => {
    it('retries a 429 and ends sent', async () => {
      const { userId, email } = await registeredUser('en');
      resend.reply({
        status: 429,
        body: { statusCode: 429, name: 'rate_limit_exceeded', message: 'slow down' },
        headers: { 'retry-after': '0' },
      });
      const eventId = await publisher.publish('identity.password.changed', {
        userId,
        client: { ip: '198.51.100.1', userAgent: CHROME_UA },
      });
      const record = await notifier.settled(eventId);
      expect(record).toMatchObject({ status: 'sent', attempts: 2 });
      const requests = resend.to(email).filter((r) => r.headers['idempotency-key'] === eventId);
      expect(requests).toHaveLength(2);
    });

    it('gives up on a 422, records it failed and dead-letters the event', async () => {
      const deadLetters = watchDeadLetters(notifier.bus, notifier.config.NOTIFIER_CONSUMER_DURABLE);
      try {
        const { userId, email } = await registeredUser('en');
        resend.reply({
          status: 422,
          body: { statusCode: 422, name: 'validation_error', message: 'invalid `to` field' },
        });
        const eventId = await publisher.publish('identity.account.locked', {
          userId,
          attemptCount: 5,
          channel: 'password',
        });
        const record = await notifier.settled(eventId);
        expect(record).toMatchObject({ status: 'failed', attempts: 1 });
        expect(record.lastError).toContain('422 validation_error');
        const entry = await waitFor(() => deadLetters.entries.find((e) => e.eventId === eventId), {
          what: 'dead letter',
        });
        expect(entry.reason).toContain('422');
        expect(resend.to(email).filter((r) => r.headers['idempotency-key'] === eventId)).toHaveLength(1);
      } finally {
        await deadLetters.stop();
      }
    });
  });
});

describe('notifier redelivery', () => {
  it('sends nothing twice when the consumer dies after sending, before acking', async () => {
    const space = newEventSpace();
    const resend = await new FakeResend().start();
    const publisher = await Publisher.connect(space);
    const env = {
      NOTIFIER_RESEND_API_KEY: resend.apiKey,
      NOTIFIER_RESEND_BASE_URL: resend.baseUrl,
      NOTIFIER_ACK_WAIT_MS: '1500',
      NOTIFIER_CONSUMER_DURABLE: 'notifier',
    };
    const db = `notifier_redelivery_${randomUUID().slice(0, 8)}`;
    const userId = randomUUID();
    const email = `${userId.slice(0, 8)}@example.com`;

    // First instance: handles the login event fully (e-mail sent, record written), then "crashes":
    // its connection closes before the ack leaves.
    let sentButNotAcked: () => void = () => undefined;
    const crashed = new Promise<void>((resolve) => (sentButNotAcked = resolve));
    let releaseHandler: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (releaseHandler = resolve));
    let target = '';
    const crashAfterSend =
      (handler: EventHandler): EventHandler =>
      async (event, delivery) => {
        const decision = await handler(event, delivery);
        if (event.id === target) {
          sentButNotAcked();
          await released;
        }
        return decision;
      };
    const first = await startNotifier(space, { env, db, wrap: crashAfterSend });
    await first.settled(await publisher.register({ userId, email }));
    target = randomUUID();
    await publisher.publish(
      'identity.login.succeeded',
      { userId, method: 'password', client: { ip: '192.0.2.1', userAgent: CHROME_UA } },
      { id: target },
    );
    await crashed;
    expect((await first.record(target))?.status).toBe('sent');
    await first.bus.nc.close(); // the process is gone: no ack
    releaseHandler();
    await first.stop({ keepData: true });

    // Second instance on the same database and durable: JetStream redelivers the unacked event.
    let redelivered = 0;
    const countRedelivery =
      (handler: EventHandler): EventHandler =>
      async (event, delivery) => {
        if (event.id === target) redelivered = delivery.deliveryCount;
        return event.id === target ? handler(event, delivery) : ack();
      };
    const second = await startNotifier(space, { env, db, wrap: countRedelivery, keys: first.keys });
    try {
      await waitFor(() => redelivered >= 2, { what: 'redelivery of the unacked event', timeoutMs: 30_000 });
      await waitFor(
        async () => (await second.bus.jsm.consumers.info(space.stream, 'notifier')).num_ack_pending === 0,
        {
          what: 'the redelivered event acked',
        },
      );
      expect(resend.requests.filter((r) => r.headers['idempotency-key'] === target)).toHaveLength(1);
      expect(await second.record(target)).toMatchObject({ status: 'sent', attempts: 1 });
    } finally {
      await second.stop();
      await publisher.close();
      await resend.stop();
    }
  });
});
