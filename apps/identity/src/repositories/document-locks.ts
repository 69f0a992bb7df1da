import type { Model } from 'mongoose';

/**
 * Serialises writes to the same document inside this process.
 *
 * Why: FerretDB 1.x (the MongoDB-wire server the test kit and the embedded dev setup use) applies
 * `updateOne` as read-modify-write without isolation, so two concurrent updates of ONE document lose
 * one of them (measured: 194 of 200 concurrent `$set` + `$pull` pairs lost the `$set`). The
 * pendingEvents relay `$pull`s published events right after our writes, so a session revoked or a
 * refresh token rotated just after sign-in could silently come back. MongoDB itself updates a
 * document atomically; there this lock only costs a Map lookup. It does not protect several replicas
 * sharing one FerretDB (FerretDB is for tests and single-process development), nor against FerretDB
 * serving a stale version across connections under load (README "Known limits": use one connection).
 */
export class DocumentLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Locks several keys (in a stable order, so two callers never wait on each other crosswise). */
  async runMany<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const step = (i: number): Promise<T> =>
      i === sorted.length ? work() : this.run(sorted[i]!, () => step(i + 1));
    return step(0);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

/**
 * The model as the relay should see it: its `updateOne` (the `$pull` of published events) takes the
 * same per-document lock as the repositories' writes. Everything else passes through.
 */
export function lockedForRelay<M extends AnyModel>(model: M, locks: DocumentLocks): M {
  const collection = model.collection.collectionName;
  return new Proxy(model, {
    get(target, property, receiver) {
      if (property === 'updateOne') {
        return (filter: { _id?: unknown }, update: object) =>
          locks.run(`${collection}:${String(filter._id)}`, () => target.updateOne(filter, update).exec());
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
