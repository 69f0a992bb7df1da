import {
  CacheInvalidation,
  EventBus,
  EventConsumer,
  ack,
  pendingEvent,
  pendingEventsField,
  PendingEventsRelay,
  retry,
  type GuardianEvent,
} from '@guardian/events';
import { connectMongo, type Connection } from '@guardian/mongo';
import {
  startNats,
  testLogger,
  testServers,
  uniqueId,
  uniqueSubjectPrefix,
  waitFor,
} from '@guardian/testkit';
import { Schema } from 'mongoose';
import { connect, headers, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const logger = testLogger();

async function busFor(url: string, prefix = uniqueSubjectPrefix(), stream = uniqueId('S')) {
  return EventBus.connect({ url, stream, prefix, source: 'guardian/test', logger });
}

/** Collects what a durable consumer hands to its handler. */
function collector(
  decide: (event: GuardianEvent, deliveryCount: number) => ReturnType<typeof ack> = () => ack(),
) {
  const seen: { event: GuardianEvent; deliveryCount: number; at: number }[] = [];
  return {
    seen,
    handler: async (event: GuardianEvent, delivery: { deliveryCount: number }) => {
      seen.push({ event, deliveryCount: delivery.deliveryCount, at: Date.now() });
      return decide(event, delivery.deliveryCount);
    },
  };
}

describe('EventBus and EventConsumer', () => {
  let bus: EventBus;
  const consumers: EventConsumer[] = [];

  beforeAll(async () => {
    bus = await busFor(testServers().natsUrl);
  });
  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await bus.drain();
  });

  it('provisions the stream idempotently with the catalogue subjects under the prefix', async () => {
    await bus.ensureStream();
    await bus.ensureStream();
    const info = await bus.jsm.streams.info(bus.options.stream);
    expect(info.config.subjects).toEqual(
      expect.arrayContaining(
        ['identity.>', 'verification.>', 'biometric.>', 'media.>', 'deadletter.>'].map((s) => bus.subject(s)),
      ),
    );
  });

  it('publishes with CloudEvents headers and Nats-Msg-Id, and one id reaches a durable consumer once', async () => {
    const { seen, handler } = collector();
    consumers.push(
      await EventConsumer.start(bus, {
        durable: uniqueId('d'),
        filter: 'identity.>',
        maxDeliver: 3,
        handler,
        logger,
      }),
    );
    const id = uniqueId('evt');
    const data = {
      userId: 'u1',
      username: 'ana',
      email: 'ana@example.com',
      fullName: 'Ana',
      locale: 'pt-BR',
      role: 'user',
      registrationKind: 'password',
    };
    await bus.publish('identity.user.registered', data, { subject: 'u1', id, requestId: 'req-1' });
    await bus.publish('identity.user.registered', data, { subject: 'u1', id, requestId: 'req-1' });
    await waitFor(() => seen.length >= 1, { what: 'first delivery' });
    // A later event proves the consumer kept reading; the duplicate must not have come before it.
    await bus.publish('identity.user.deleted', { userId: 'u1', deletedBy: 'admin' }, { subject: 'u1' });
    await waitFor(() => seen.some((s) => s.event.type === 'identity.user.deleted'), { what: 'second event' });
    expect(seen.filter((s) => s.event.id === id)).toHaveLength(1);
    const event = seen[0]!.event as GuardianEvent<'identity.user.registered'>;
    expect(event).toMatchObject({
      type: 'identity.user.registered',
      source: 'guardian/test',
      subject: 'u1',
      requestId: 'req-1',
    });
    expect(event.data).toEqual(data);

    const raw = await bus.jsm.streams.getMessage(bus.options.stream, {
      seq: (await bus.jsm.streams.info(bus.options.stream)).state.first_seq,
    });
    expect(raw.header.get('Nats-Msg-Id')).toBe(id);
    expect(raw.header.get('ce-id')).toBe(id);
    expect(raw.header.get('ce-specversion')).toBe('1.0');
    expect(raw.header.get('ce-type')).toBe('identity.user.registered');
    expect(raw.header.get('ce-time')).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('redelivers an event the handler naks, after the delay it asked for', async () => {
    const { seen, handler } = collector((_event, count) => (count === 1 ? retry(700, 'not yet') : ack()));
    consumers.push(
      await EventConsumer.start(bus, {
        durable: uniqueId('d'),
        filter: 'biometric.>',
        maxDeliver: 5,
        handler,
        logger,
      }),
    );
    await bus.publish('biometric.removed', { userId: 'u2', reason: 'admin' }, { subject: 'u2' });
    await waitFor(() => seen.length >= 2, { what: 'redelivery' });
    expect(seen.map((s) => s.deliveryCount)).toEqual([1, 2]);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(600);
  });

  it('moves an event that used up its deliveries to the dead-letter subject', async () => {
    const durable = uniqueId('d');
    const { seen, handler } = collector(() => retry(50, 'always failing'));
    const deadLetters: { subject: string; reason: string | undefined; type: string | undefined }[] = [];
    const nc: NatsConnection = await connect({ servers: testServers().natsUrl });
    const sub = nc.subscribe(bus.deadLetterSubject(durable), {
      callback: (_error, msg) =>
        deadLetters.push({
          subject: msg.subject,
          reason: msg.headers?.get('x-dead-letter-reason'),
          type: msg.headers?.get('ce-type'),
        }),
    });
    consumers.push(
      await EventConsumer.start(bus, { durable, filter: 'media.>', maxDeliver: 3, handler, logger }),
    );
    await bus.publish(
      'media.video.analyzed',
      {
        jobId: 'j1',
        userId: 'u3',
        status: 'succeeded',
        dominantExpression: '',
        framesAnalyzed: 0,
        error: '',
        fileName: 'clip.mp4',
        durationMs: 1000,
        people: 0,
      },
      { subject: 'u3' },
    );
    await waitFor(() => deadLetters.length === 1, { what: 'dead letter' });
    expect(seen.map((s) => s.deliveryCount)).toEqual([1, 2, 3]);
    expect(deadLetters[0]).toMatchObject({ type: 'media.video.analyzed' });
    expect(deadLetters[0]!.reason).toContain('max deliveries');
    sub.unsubscribe();
    await nc.close();
  });

  it('dead-letters a message that is not a Guardian event instead of looping on it', async () => {
    const durable = uniqueId('d');
    const { seen, handler } = collector();
    consumers.push(
      await EventConsumer.start(bus, { durable, filter: 'verification.>', maxDeliver: 3, handler, logger }),
    );
    const hdrs = headers();
    hdrs.set('ce-type', 'verification.unknown.thing');
    await bus.js.publish(bus.subject('verification.unknown.thing'), new Uint8Array([1, 2, 3]), {
      headers: hdrs,
    });
    await waitFor(
      async () =>
        (await bus.jsm.streams.info(bus.options.stream, { subjects_filter: bus.deadLetterSubject(durable) }))
          .state.subjects?.[bus.deadLetterSubject(durable)] === 1,
      { what: 'dead letter stored' },
    );
    expect(seen).toHaveLength(0);
  });
});

describe('PendingEventsRelay', () => {
  interface Account {
    _id: string;
    name: string;
    pendingEvents: ReturnType<typeof pendingEvent>[];
  }
  let mongo: Connection;
  /** A collection whose documents hold nothing but queued events. */
  const relayedModel = (name: string) =>
    mongo.model<{ _id: string; pendingEvents: ReturnType<typeof pendingEvent>[] }>(
      name,
      new Schema({ _id: String, pendingEvents: pendingEventsField }),
    );

  beforeAll(async () => {
    mongo = await connectMongo({ url: testServers().mongoUrl, dbName: uniqueId('relay'), logger });
  });
  afterAll(async () => {
    await mongo.dropDatabase();
    await mongo.close();
  });

  it('keeps events in pendingEvents while NATS is down and delivers each exactly once after it is back', async () => {
    const nats = await startNats();
    const Account = mongo.model<Account>(
      'Account',
      new Schema<Account>({ _id: String, name: String, pendingEvents: pendingEventsField }),
    );
    const bus = await busFor(nats.url);
    const { seen, handler } = collector();
    const consumer = await EventConsumer.start(bus, {
      durable: 'relay-test',
      filter: 'identity.>',
      maxDeliver: 5,
      handler,
      logger,
    });
    const relay = new PendingEventsRelay(bus, [Account], logger, { intervalMs: 300 });
    try {
      await nats.pause();
      // State changes while NATS is down: each writes its event in the same document update.
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const event = pendingEvent(
          'identity.user.updated',
          {
            userId: `u${i}`,
            username: `user${i}`,
            email: `u${i}@example.com`,
            fullName: `User ${i}`,
            locale: 'en',
            role: 'user',
            status: 'active',
            changedFields: ['name'],
          },
          { source: 'guardian/test', subject: `u${i}` },
        );
        ids.push(event.id);
        await Account.updateOne(
          { _id: `u${i}` },
          { $set: { name: `User ${i}` }, $push: { pendingEvents: event } },
          { upsert: true },
        );
      }
      relay.start();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const stillPending = await Account.find({ 'pendingEvents.0': { $exists: true } })
        .select('+pendingEvents')
        .lean();
      expect(stillPending).toHaveLength(5);

      await nats.start();
      await waitFor(
        async () => (await Account.countDocuments({ 'pendingEvents.0': { $exists: true } })) === 0,
        { timeoutMs: 20_000, what: 'relay to empty pendingEvents' },
      );
      await waitFor(() => seen.length >= 5, { timeoutMs: 10_000, what: 'deliveries' });
      // Sweep again: nothing is left to publish, and a republished id would be deduplicated anyway.
      expect(await relay.sweep()).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(seen.map((s) => s.event.id).sort()).toEqual([...ids].sort());
    } finally {
      await relay.stop();
      await consumer.stop();
      await bus.drain().catch(() => undefined);
      await nats.stop();
    }
  });

  it('publishes just the documents a kick names, and leaves the rest to the full sweep', async () => {
    const Note = relayedModel('Note');
    const bus = await busFor(testServers().natsUrl);
    const relay = new PendingEventsRelay(bus, [Note], logger, { intervalMs: 60_000 });
    const queue = async (id: string) => {
      const event = pendingEvent(
        'identity.user.deleted',
        { userId: id, deletedBy: 'test' },
        { source: 'guardian/test', subject: id },
      );
      await Note.create({ _id: id, pendingEvents: [event] });
    };
    const pending = async () =>
      (await Note.find({ 'pendingEvents.0': { $exists: true } }, { _id: 1 }).lean()).map((n) => n._id).sort();
    try {
      await Promise.all(['n1', 'n2', 'n3'].map(queue));
      relay.kick({ collection: Note.collection.collectionName, ids: ['n2'] });
      await waitFor(async () => (await pending()).length === 2, { what: 'n2 published' });
      expect(await pending()).toEqual(['n1', 'n3']);

      relay.kick({ collection: 'not-a-relayed-collection', ids: ['x'] }); // unknown: full sweep
      await waitFor(async () => (await pending()).length === 0, { what: 'full sweep' });
      const info = await bus.jsm.streams.info(bus.options.stream);
      expect(info.state.messages).toBe(3);
    } finally {
      await relay.stop();
      await bus.drain();
    }
  });

  it('publishes in the order the events happened, across collections, whatever order they were announced in', async () => {
    // A user's registration (one collection) and the sign-in that followed it (another): announced
    // sign-in first, as a busy relay can meet them. A consumer must get the registration first.
    const Registration = relayedModel('Registration');
    const SignIn = relayedModel('SignIn');
    const bus = await busFor(testServers().natsUrl);
    const relay = new PendingEventsRelay(bus, [SignIn, Registration], logger, { intervalMs: 60_000 });
    const event = (id: string, at: number) => ({
      ...pendingEvent(
        'identity.user.deleted',
        { userId: id, deletedBy: 'test' },
        { source: 'guardian/test', subject: id },
      ),
      time: new Date(at),
    });
    try {
      const now = Date.now();
      const [registered1, registered2] = [event('u1', now - 3_000), event('u2', now - 1_000)];
      const [signedIn1, signedIn2] = [event('u1', now - 2_000), event('u2', now)];
      await SignIn.create({ _id: 's1', pendingEvents: [signedIn1] });
      await SignIn.create({ _id: 's2', pendingEvents: [signedIn2] });
      await Registration.create({ _id: 'r1', pendingEvents: [registered1] });
      await Registration.create({ _id: 'r2', pendingEvents: [registered2] });
      relay.kick(
        { collection: SignIn.collection.collectionName, ids: ['s1'], events: [signedIn1] },
        { collection: SignIn.collection.collectionName, ids: ['s2'] },
        { collection: Registration.collection.collectionName, ids: ['r2'], events: [registered2] },
        { collection: Registration.collection.collectionName, ids: ['r1'] },
      );
      await waitFor(async () => (await bus.jsm.streams.info(bus.options.stream)).state.messages === 4, {
        what: 'all four published',
      });
      const order = [];
      for (let seq = 1; seq <= 4; seq++)
        order.push((await bus.jsm.streams.getMessage(bus.options.stream, { seq })).header.get('ce-id'));
      expect(order).toEqual([registered1.id, signedIn1.id, registered2.id, signedIn2.id]);
    } finally {
      await relay.stop();
      await bus.drain();
    }
  });

  it('made before the models it watches, announced to with nothing to do yet, publishes once it starts', async () => {
    const Draft = relayedModel('Draft');
    const bus = await busFor(testServers().natsUrl);
    // As app-kit makes it: before the service's repositories, which announce to it from the start.
    const relay = new PendingEventsRelay(bus, [], logger, { intervalMs: 60_000 });
    try {
      relay.announce({ collection: Draft.collection.collectionName, ids: ['d0'] });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const event = pendingEvent(
        'identity.user.deleted',
        { userId: 'd1', deletedBy: 'test' },
        { source: 'guardian/test', subject: 'd1' },
      );
      await Draft.create({ _id: 'd1', pendingEvents: [event] });
      relay.watch([Draft]);
      relay.start();
      await waitFor(
        async () => (await Draft.countDocuments({ 'pendingEvents.0': { $exists: true } })) === 0,
        {
          what: 'the start-up sweep',
        },
      );
      relay.announce({ collection: Draft.collection.collectionName, ids: ['d2'] });
      await Draft.create({
        _id: 'd3',
        pendingEvents: [
          pendingEvent(
            'identity.user.deleted',
            { userId: 'd3', deletedBy: 'test' },
            { source: 'guardian/test', subject: 'd3' },
          ),
        ],
      });
      relay.announce({ collection: Draft.collection.collectionName, ids: ['d3'] });
      await waitFor(
        async () => (await Draft.countDocuments({ 'pendingEvents.0': { $exists: true } })) === 0,
        {
          what: 'an announced write',
        },
      );
    } finally {
      await relay.stop();
      await bus.drain();
    }
  });

  it('publishes the events a write hands over and removes exactly those from the document', async () => {
    const Memo = relayedModel('Memo');
    const bus = await busFor(testServers().natsUrl);
    const relay = new PendingEventsRelay(bus, [Memo], logger, { intervalMs: 60_000 });
    const before = (await bus.jsm.streams.info(bus.options.stream)).state.messages;
    const deleted = (id: string, requestId?: string) =>
      pendingEvent(
        'identity.user.deleted',
        { userId: id, deletedBy: 'test' },
        { source: 'guardian/test', subject: id, ...(requestId ? { requestId } : {}) },
      );
    try {
      // With and without the optional requestId: the stored form differs, and $pull must match it.
      const handed = [deleted('m1', 'req-7'), deleted('m2')];
      const older = deleted('m1');
      await Memo.create({ _id: 'm1', pendingEvents: [older, handed[0]!] });
      await Memo.create({ _id: 'm2', pendingEvents: [handed[1]!] });
      relay.kick(
        { collection: Memo.collection.collectionName, ids: ['m1'], events: [handed[0]!] },
        { collection: Memo.collection.collectionName, ids: ['m2'], events: [handed[1]!] },
      );
      const left = async () =>
        (await Memo.find({}, { pendingEvents: 1 }).select('+pendingEvents').sort({ _id: 1 }).lean()).map(
          (m) => m.pendingEvents.map((e) => e.id),
        );
      await waitFor(async () => (await left())[1]!.length === 0, { what: 'handed-over events removed' });
      // The event queued earlier on m1 was not handed over: it stays for the sweep.
      expect(await left()).toEqual([[older.id], []]);
      const info = await bus.jsm.streams.info(bus.options.stream);
      expect(info.state.messages - before).toBe(2);
      expect(await relay.sweep()).toBe(1);
      expect(await left()).toEqual([[], []]);
    } finally {
      await relay.stop();
      await bus.drain();
    }
  });

  // FerretDB 1.x loses concurrent updates of one document across pooled connections; the test kit's
  // URL for it carries maxPoolSize=1 (see docs/conventions.md). This fails without that.
  it('loses no write when the service and the relay update one document at once', async () => {
    interface Counter {
      _id: string;
      count: number;
      pendingEvents: ReturnType<typeof pendingEvent>[];
    }
    const Counter = mongo.model<Counter>(
      'Counter',
      new Schema<Counter>({ _id: String, count: Number, pendingEvents: pendingEventsField }),
    );
    const bus = await busFor(testServers().natsUrl);
    const relay = new PendingEventsRelay(bus, [Counter], logger);
    await Counter.create({ _id: 'c1', count: 0, pendingEvents: [] });
    const writes = 40;
    try {
      await Promise.all(
        Array.from({ length: writes }, async (_, i) => {
          const event = pendingEvent(
            'identity.user.deleted',
            { userId: `c${i}`, deletedBy: 'test' },
            { source: 'guardian/test', subject: `c${i}` },
          );
          await Counter.updateOne({ _id: 'c1' }, { $inc: { count: 1 }, $push: { pendingEvents: event } });
          await relay.sweep();
        }),
      );
      await relay.sweep();
      const doc = await Counter.findById('c1').select('+pendingEvents').lean();
      expect(doc?.count).toBe(writes);
      expect(doc?.pendingEvents).toEqual([]);
      const info = await bus.jsm.streams.info(bus.options.stream);
      expect(info.state.messages).toBe(writes);
    } finally {
      await relay.stop();
      await bus.drain();
    }
  });
});

describe('CacheInvalidation', () => {
  /** A cache that records what it is told. */
  const recorder = () => {
    const dropped: string[] = [];
    let cleared = 0;
    return {
      dropped,
      cleared: () => cleared,
      delete: (key: string) => dropped.push(key),
      clear: () => void cleared++,
    };
  };

  it("drops the announced key on the other replicas, not on the announcer's, and nothing in the stream", async () => {
    const prefix = uniqueSubjectPrefix();
    const stream = uniqueId('S');
    const [a, b, other] = await Promise.all([
      busFor(testServers().natsUrl, prefix, stream),
      busFor(testServers().natsUrl, prefix, stream),
      busFor(testServers().natsUrl, uniqueSubjectPrefix(), uniqueId('S')),
    ]);
    const caches = { a: recorder(), b: recorder(), otherTopic: recorder(), otherPrefix: recorder() };
    const onA = new CacheInvalidation(a, 'svc.users', caches.a);
    const onB = new CacheInvalidation(b, 'svc.users', caches.b);
    const otherTopic = new CacheInvalidation(b, 'svc.prefs', caches.otherTopic);
    const otherPrefix = new CacheInvalidation(other, 'svc.users', caches.otherPrefix);
    try {
      await Promise.all([a.nc.flush(), b.nc.flush(), other.nc.flush()]);
      onA.announce('user-1');
      onA.announce('user 2 with spaces');
      await waitFor(() => caches.b.dropped.length === 2, { timeoutMs: 5_000 });
      await Promise.all([a.nc.flush(), b.nc.flush(), other.nc.flush()]);
      expect(caches.b.dropped).toEqual(['user-1', 'user 2 with spaces']);
      expect(caches.a.dropped).toEqual([]);
      expect(caches.otherTopic.dropped).toEqual([]);
      expect(caches.otherPrefix.dropped).toEqual([]);
      const info = await a.jsm.streams.info(stream);
      expect(info.state.messages).toBe(0);
    } finally {
      for (const sync of [onA, onB, otherTopic, otherPrefix]) sync.close();
      await Promise.all([a.drain(), b.drain(), other.drain()]);
    }
  });

  it('clears the whole cache when the connection comes back (invalidations may have been missed)', async () => {
    const bus = await busFor(testServers().natsUrl);
    const cache = recorder();
    const sync = new CacheInvalidation(bus, 'svc.users', cache);
    try {
      await bus.nc.reconnect();
      await waitFor(() => cache.cleared() > 0, { timeoutMs: 10_000 });
      expect(cache.cleared()).toBe(1);
    } finally {
      sync.close();
      await bus.drain();
    }
  });
});
