import { uniqueId, waitFor } from '@guardian/testkit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CHROME_UA, newEventSpace, Publisher, startNotifier, type NotifierHarness } from './harness.js';

/**
 * Two replicas on one database and one durable consumer, each caching addresses and preferences
 * for an hour: only the writer's invalidation can make the other replica see a change in time.
 */
describe('two notifier replicas', () => {
  const space = newEventSpace();
  const db = uniqueId('notifier_');
  const env = { NOTIFIER_CACHE_TTL_MS: String(60 * 60_000) };
  let publisher: Publisher;
  let a: NotifierHarness;
  let b: NotifierHarness;

  beforeAll(async () => {
    publisher = await Publisher.connect(space);
    a = await startNotifier(space, { db, env });
    b = await startNotifier(space, { db, env, keys: a.keys });
  });

  afterAll(async () => {
    await b?.stop({ keepData: true });
    await a?.stop();
    await publisher?.close();
  });

  async function userCachedByBoth() {
    const userId = randomUUID();
    const email = `${userId.slice(0, 8)}@example.com`;
    await a.settled(await publisher.register({ userId, email }));
    for (const replica of [a, b]) {
      expect((await replica.parts.repositories.contacts.get(userId))?.email).toBe(email);
      expect(await replica.parts.repositories.preferences.get(userId)).toEqual({ loginSuccessAlerts: true });
    }
    return userId;
  }

  const loginAlerts = (userId: string, count: number) =>
    Promise.all(
      Array.from({ length: count }, () =>
        publisher.publish('identity.login.succeeded', {
          userId,
          method: 'password',
          client: { ip: '198.51.100.4', userAgent: CHROME_UA },
        }),
      ),
    );

  it('mails the new address from every replica as soon as one of them applied the change', async () => {
    const userId = await userCachedByBoth();
    const newEmail = `new-${userId.slice(0, 8)}@example.com`;
    await publisher.publish('identity.user.updated', { userId, email: newEmail, fullName: 'Ana Lima' });
    for (const replica of [a, b]) {
      await waitFor(async () => (await replica.parts.repositories.contacts.get(userId))?.email === newEmail, {
        timeoutMs: 5_000,
        what: 'the new address in both replicas',
      });
    }
    const events = await loginAlerts(userId, 6);
    for (const eventId of events) {
      expect(await a.settled(eventId)).toMatchObject({ status: 'sent', recipient: newEmail });
    }
  });

  it("applies one replica's preference change on the other at once", async () => {
    const userId = await userCachedByBoth();
    await a.client.updatePreferences(
      { userId: '', loginSuccessAlerts: false },
      { accessToken: await a.token(userId) },
    );
    await waitFor(
      async () => (await b.parts.repositories.preferences.get(userId)).loginSuccessAlerts === false,
      { timeoutMs: 5_000, what: "replica b's copy of the preference" },
    );
    const events = await loginAlerts(userId, 6);
    for (const eventId of events) {
      expect(await a.settled(eventId)).toMatchObject({
        status: 'suppressed',
        suppressedReason: 'preference',
      });
    }
  });
});
