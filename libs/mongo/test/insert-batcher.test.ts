import { testLogger, testServers, uniqueId } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mongo } from 'mongoose';
import { closeMongo, connectMongo, InsertBatcher, type Connection } from '../src/index.js';

interface Row {
  _id: string;
  n: number;
}

describe('InsertBatcher (real FerretDB/MongoDB)', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = await connectMongo({
      url: testServers().mongoUrl,
      dbName: uniqueId('batcher'),
      logger: testLogger('batcher'),
    });
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await closeMongo(connection);
  });

  it('writes concurrent inserts together and tells each caller its own outcome', async () => {
    const collection = connection.db!.collection<Row>(uniqueId('rows'));
    await collection.insertOne({ _id: 'taken', n: -1 });
    const batcher = new InsertBatcher<Row>(collection, 50);

    const ids = [...Array.from({ length: 120 }, (_, i) => `row-${i}`), 'taken', 'row-7'];
    const outcomes = await Promise.all(ids.map((id, n) => batcher.insert({ _id: id, n })));

    expect(outcomes.filter((o) => o === 'inserted')).toHaveLength(120);
    expect(outcomes.at(-2)).toBe('duplicate');
    expect(outcomes.at(-1)).toBe('duplicate');
    expect(await collection.countDocuments()).toBe(121);
    expect(await collection.findOne({ _id: 'row-7' })).toEqual({ _id: 'row-7', n: 7 });
    expect(await collection.findOne({ _id: 'taken' })).toEqual({ _id: 'taken', n: -1 });
  });

  it('keeps working after a batch: a later lone insert is written at once', async () => {
    const collection = connection.db!.collection<Row>(uniqueId('rows'));
    const batcher = new InsertBatcher<Row>(collection);
    await Promise.all([1, 2, 3].map((n) => batcher.insert({ _id: `a${n}`, n })));
    await expect(batcher.insert({ _id: 'late', n: 4 })).resolves.toBe('inserted');
    expect(await collection.countDocuments()).toBe(4);
  });

  it('insertNew rejects a duplicate id and writes the rest of its batch', async () => {
    const collection = connection.db!.collection<Row>(uniqueId('rows'));
    const batcher = new InsertBatcher<Row>(collection);
    const results = await Promise.allSettled(
      ['x1', 'x2', 'x1'].map((id, n) => batcher.insertNew({ _id: id, n })),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/duplicate _id x1/);
    expect(await collection.countDocuments()).toBe(2);
  });

  it('tells a caller its document was written only when the server says so (a batch cut short by a dropped connection; found by npm run chaos)', async () => {
    // A bulk error that reports the first document inserted and nothing about the others: the
    // connection went away before the server saw them.
    const cut = Object.defineProperties(Object.create(mongo.MongoBulkWriteError.prototype) as Error, {
      message: { value: 'connection closed' },
      writeErrors: { value: [] },
      insertedIds: { value: { 0: 'a' } },
    });
    const batcher = new InsertBatcher<Row>({
      insertMany: async () => {
        throw cut;
      },
      // The server has only the first one.
      find: () => ({ toArray: async () => [{ _id: 'a' }] }),
    });
    const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((id, n) => batcher.insert({ _id: id, n })));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(outcomes[0]).toMatchObject({ value: 'inserted' });
  });

  it("believes neither a bulk error's insertedIds nor a short success: it reads back what is stored (npm run chaos, mongo-restart)", async () => {
    // The driver's insertedIds name every document it sent, written or not.
    const cut = Object.defineProperties(Object.create(mongo.MongoBulkWriteError.prototype) as Error, {
      message: { value: 'connection closed' },
      writeErrors: { value: [] },
      insertedIds: { value: { 0: 'a', 1: 'b', 2: 'c' } },
    });
    const stored = (ids: string[]) => () => ({ toArray: async () => ids.map((_id) => ({ _id })) });
    const cutShort = new InsertBatcher<Row>({
      insertMany: async () => {
        throw cut;
      },
      find: stored(['b']),
    });
    const afterCut = await Promise.allSettled(
      ['a', 'b', 'c'].map((id, n) => cutShort.insert({ _id: id, n })),
    );
    expect(afterCut.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
    // A success that counts fewer documents than were sent.
    const short = new InsertBatcher<Row>({
      insertMany: async () => ({ insertedCount: 1 }),
      find: stored(['c']),
    });
    const afterShort = await Promise.allSettled(['a', 'b', 'c'].map((id, n) => short.insert({ _id: id, n })));
    expect(afterShort.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    // Nothing readable (the database is away): nobody is told their document was written.
    const away = new InsertBatcher<Row>({
      insertMany: async () => {
        throw cut;
      },
      find: () => ({
        toArray: async () => {
          throw new Error('connection refused');
        },
      }),
    });
    const afterAway = await Promise.allSettled(['a', 'b'].map((id, n) => away.insert({ _id: id, n })));
    expect(afterAway.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });
});
