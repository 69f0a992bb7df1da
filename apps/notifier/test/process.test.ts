import { closeMongo, connectMongo } from '@guardian/mongo';
import { freePort, startApp, testLogger, testServers, uniqueId, waitFor } from '@guardian/testkit';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { newEventSpace, Publisher } from './harness.js';

/** The notifier started the way a user starts it (`apps/notifier/src/main.ts`), then stopped with SIGTERM. */
describe('notifier process', () => {
  it('boots from the environment, mails a registration into the outbox and shuts down cleanly', async () => {
    const { natsUrl, mongoUrl } = testServers();
    const space = newEventSpace();
    const db = uniqueId('notifier_proc_');
    const metricsPort = await freePort();
    const publisher = await Publisher.connect(space);
    const mongo = await connectMongo({ url: mongoUrl, dbName: db, logger: testLogger() });
    // A message kept by an earlier version, in the collection the outbox used to have.
    await mongo.collection('outbox').insertOne({ _id: 'old' as never, to: 'old@example.com' });
    const app = startApp('notifier', {
      LOG_LEVEL: 'info',
      MONGO_URL: mongoUrl,
      MONGO_DB: db,
      NATS_URL: natsUrl,
      EVENTS_STREAM: space.stream,
      EVENTS_SUBJECT_PREFIX: space.prefix,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(await freePort()),
      METRICS_PORT: String(metricsPort),
    });
    try {
      await app.waitForLog(/notifier ready/);
      expect(app.output()).toContain('"transport":"outbox"');
      expect(await mongo.db!.listCollections({ name: 'outbox' }).toArray()).toEqual([]);
      const userId = randomUUID();
      const eventId = await publisher.register({
        userId,
        email: 'proc@example.com',
        fullName: 'Proc Test',
        locale: 'pt-BR',
      });
      // The outbox keeps the message in the event's delivery record.
      const record = await waitFor(
        async () =>
          (await mongo
            .collection('notifications')
            .findOne({ _id: eventId as never, message: { $exists: true } })) ?? undefined,
        { what: 'delivery record with its message', timeoutMs: 30_000 },
      );
      expect(record).toMatchObject({
        status: 'sent',
        recipient: 'proc@example.com',
        subject: 'Bem-vindo ao Guardian, Proc Test',
        locale: 'pt-BR',
        message: { from: expect.stringContaining('@') },
      });
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
      expect(metrics).toContain('notifier_notifications_total{template="welcome",status="sent"');
      expect(await app.stop('SIGTERM')).toBe(0);
    } finally {
      await app.stop('SIGKILL');
      await mongo.dropDatabase().catch(() => undefined);
      await closeMongo(mongo);
      await publisher.close();
    }
  });

  it('refuses to start with a bad environment and names every bad variable', async () => {
    const app = startApp('notifier', { MONGO_URL: 'not-a-url', NOTIFIER_DIGEST_WINDOW_MS: 'soon' });
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain('MONGO_URL');
    expect(app.output()).toContain('NATS_URL');
    expect(app.output()).toContain('NOTIFIER_DIGEST_WINDOW_MS');
  });
});
