/**
 * A bounded map whose entries expire `ttlMs` after they were set. For read-through caches of
 * documents: writers `set` (or `delete`) after their write; readers go through `getOrLoad`. Other
 * replicas learn of a change by an invalidation message (`delete`) or, if that is lost, by expiry.
 * When `maxEntries` is reached the oldest entry goes first. A `ttlMs` of 0 turns the cache off.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; at: number }>();
  /** Loads under way, shared by concurrent readers of one key. */
  private readonly loading = new Map<K, Promise<V | undefined>>();
  /** Bumped by every write and invalidation, so a load that raced one does not cache what it read. */
  private epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /**
   * The cached value, or `load()`'s (cached unless `undefined`). Concurrent callers for one key share
   * one load. What a load returns is not cached when a `set`, `delete` or `clear` happened while it
   * ran: it may predate that write, and caching it would hide the write until expiry.
   */
  getOrLoad(key: K, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const hit = this.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const epoch = this.epoch;
    const loaded = load()
      .then((value) => {
        if (value !== undefined && this.epoch === epoch) this.store(key, value);
        return value;
      })
      .finally(() => {
        if (this.loading.get(key) === loaded) this.loading.delete(key);
      });
    if (this.ttlMs > 0) this.loading.set(key, loaded);
    return loaded;
  }

  /** Caches what a writer has just stored. */
  set(key: K, value: V): void {
    this.epoch++;
    this.loading.delete(key);
    this.store(key, value);
  }

  delete(key: K): void {
    this.epoch++;
    this.loading.delete(key);
    this.entries.delete(key);
  }

  /** Forgets everything (e.g. when invalidation messages may have been missed). */
  clear(): void {
    this.epoch++;
    this.loading.clear();
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private store(key: K, value: V): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, at: this.now() });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
