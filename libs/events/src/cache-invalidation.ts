import { randomUUID } from 'node:crypto';

import { TtlCache } from '@guardian/domain';
import type { Subscription } from 'nats';

import type { EventBus } from './bus.js';

/** What an invalidation acts on: a `TtlCache` of `@guardian/domain` is one. */
export interface InvalidatableCache {
  delete(key: string): void;
  clear(): void;
}

const SEPARATOR = '\n';

/**
 * Keeps one cache coherent across the replicas of a service: after a write, the writer calls
 * `announce(key)` and every other replica drops that key (the writer has cached what it wrote).
 *
 * Plain NATS on `cache.<topic>`, outside the stream: an invalidation is worthless later, so none is
 * stored. Delivery is at most once. While the connection is down messages can be missed, so every
 * cache is cleared when it comes back; anything else lost is bounded by the cache's ttl.
 */
export class CacheInvalidation {
  private readonly origin = randomUUID();
  private readonly subject: string;
  private readonly subscription: Subscription;

  constructor(
    private readonly bus: EventBus,
    topic: string,
    private readonly cache: InvalidatableCache,
  ) {
    this.subject = bus.subject(`cache.${topic}`);
    this.subscription = bus.nc.subscribe(this.subject, {
      callback: (error, message) => {
        if (error) return;
        const text = message.string();
        const at = text.indexOf(SEPARATOR);
        if (at < 0 || text.slice(0, at) === this.origin) return;
        this.cache.delete(text.slice(at + 1));
      },
    });
    void (async () => {
      for await (const status of bus.nc.status()) {
        if (status.type === 'reconnect') this.cache.clear();
      }
    })();
  }

  /** Tells the other replicas that `key` changed (call it after the write). */
  announce(key: string): void {
    if (this.bus.nc.isClosed()) return;
    this.bus.nc.publish(this.subject, `${this.origin}${SEPARATOR}${key}`);
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

/** Where a writer tells the other replicas that a cached key changed. */
export interface ReplicaNotice {
  announce(key: string): void;
  close?(): void;
}

/**
 * A repository's per-replica read cache, whose writers tell the other replicas what changed.
 * Without a `TtlCache` nothing is cached; without a notice nothing is announced.
 */
export class ReplicatedCache<V> {
  constructor(
    private readonly local: TtlCache<string, V> = new TtlCache(0),
    private readonly replicas?: ReplicaNotice,
  ) {}

  /** The cached value, or `load()`'s (see `TtlCache.getOrLoad`). */
  getOrLoad(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    return this.local.getOrLoad(key, load);
  }

  /** After a write: cache what was written here; the other replicas drop their copy. */
  written(key: string, value: V): void {
    this.local.set(key, value);
    this.replicas?.announce(key);
  }

  /** After a write whose result is not cached: drop the key here and on the other replicas. */
  dropEverywhere(key: string): void {
    this.local.delete(key);
    this.replicas?.announce(key);
  }

  /** Drops the key on this replica only (before a write that will be announced). */
  dropHere(key: string): void {
    this.local.delete(key);
  }

  close(): void {
    this.replicas?.close?.();
  }
}

/** A per-replica read cache kept coherent with the other replicas' writes (`cache.<topic>`). */
export function replicatedCache<V>(bus: EventBus, topic: string, ttlMs: number): ReplicatedCache<V> {
  const local = new TtlCache<string, V>(ttlMs);
  return new ReplicatedCache(local, new CacheInvalidation(bus, topic, local));
}
