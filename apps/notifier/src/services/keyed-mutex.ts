/**
 * Runs tasks one at a time per key (other keys run in parallel). The notifier handles a user's
 * events one after another within a process: the compare-and-set updates of the digest and address
 * book are atomic on MongoDB, but FerretDB 1.x (the test and embedded server) loses concurrent updates
 * of the same document, so the process must not race itself. Across replicas, CAS remains the guard.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with work queued or running (for tests). */
  get size(): number {
    return this.tails.size;
  }
}
