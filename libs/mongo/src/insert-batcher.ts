import { mongo } from 'mongoose';

import { isDuplicateKey } from './errors.js';

type Doc = { _id: string };

/** The methods used: a driver collection and a mongoose model's `collection` both have them. */
export interface InsertManyTarget {
  insertMany(docs: readonly object[], options: { ordered: false }): Promise<unknown>;
  find(filter: object, options: { projection: { _id: 1 } }): { toArray(): Promise<Array<{ _id: unknown }>> };
}

export type InsertOutcome = 'inserted' | 'duplicate';

interface Waiting<T> {
  doc: T;
  resolve(outcome: InsertOutcome): void;
  reject(error: unknown): void;
}

/**
 * Group commit for inserts into one collection: `insert` queues a document; while one `insertMany`
 * is on its way, the next documents wait and go together in the following one (unordered, so one
 * duplicate does not stop the others). Alone, a document is written at once; under load, batches
 * grow by themselves. Each caller learns its own outcome: inserted, duplicate `_id`, or the error.
 *
 * Why: on the test kit's FerretDB a one-document insert costs about ten times its share of a batch,
 * and with one connection every write waits for the one before it.
 */
export class InsertBatcher<T extends Doc> {
  private waiting: Waiting<T>[] = [];
  private writing = false;

  constructor(
    private readonly collection: InsertManyTarget,
    private readonly maxBatch = 500,
  ) {}

  insert(doc: T): Promise<InsertOutcome> {
    return new Promise<InsertOutcome>((resolve, reject) => {
      this.waiting.push({ doc, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /** For documents with fresh ids (random UUIDs): a duplicate `_id` is a bug, so it throws. */
  async insertNew(doc: T): Promise<void> {
    if ((await this.insert(doc)) === 'duplicate')
      throw new Error(`duplicate _id ${doc._id}: ids of new documents must be unique`);
  }

  private async drain(): Promise<void> {
    this.writing = true;
    // Let the callers of this turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      await this.write(batch);
    }
    this.writing = false;
  }

  /**
   * Which of `batch` are stored, read back from the server. Used whenever the answer leaves it open:
   * a bulk error (its `insertedIds` lists what the driver sent, not what was written) or a success
   * that counts fewer documents than were sent. Unreadable (the database is away): reject, so the
   * caller retries; a document that was written after all is then an orphan, never a lost write.
   */
  private async settleByReading(batch: Waiting<T>[], error: unknown): Promise<void> {
    let stored: Set<string>;
    try {
      const rows = await this.collection
        .find({ _id: { $in: batch.map((w) => w.doc._id) } }, { projection: { _id: 1 } })
        .toArray();
      stored = new Set(rows.map((row) => String(row._id)));
    } catch {
      for (const w of batch) w.reject(error);
      return;
    }
    for (const w of batch)
      if (stored.has(w.doc._id)) w.resolve('inserted');
      else w.reject(error);
  }

  private async write(batch: Waiting<T>[]): Promise<void> {
    try {
      const result = (await this.collection.insertMany(
        batch.map((w) => w.doc),
        { ordered: false },
      )) as { insertedCount?: number } | undefined;
      const count = result?.insertedCount;
      if (typeof count === 'number' && count < batch.length)
        await this.settleByReading(
          batch,
          new Error(`the server wrote ${count} of ${batch.length} documents`),
        );
      else for (const w of batch) w.resolve('inserted');
    } catch (error) {
      if (!(error instanceof mongo.MongoBulkWriteError)) {
        for (const w of batch) w.reject(error);
        return;
      }
      const failed = new Map<number, { code: number | undefined }>();
      const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      for (const e of writeErrors) if (e) failed.set(e.index, { code: e.code });
      const open: Waiting<T>[] = [];
      batch.forEach((w, index) => {
        const failure = failed.get(index);
        if (failure && isDuplicateKey(failure)) w.resolve('duplicate');
        else if (failure) w.reject(error);
        else open.push(w);
      });
      // A bulk error can also end a batch whose rest never reached the server (the connection
      // dropped): the others are written only if the server has them.
      if (open.length) await this.settleByReading(open, error);
    }
  }
}
