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
}

/** A repository's read cache and where it announces its writes (neither given: no cache). */
export interface CachedRepositoryOptions<V> {
  cache?: TtlCache<string, V>;
  replicas?: ReplicaNotice;
}

/** A per-replica read cache kept coherent with the other replicas' writes (`cache.<topic>`). */
export function replicatedCache<V>(
  bus: EventBus,
  topic: string,
  ttlMs: number,
): Required<CachedRepositoryOptions<V>> & { close(): void } {
  const cache = new TtlCache<string, V>(ttlMs);
  const replicas = new CacheInvalidation(bus, topic, cache);
  return { cache, replicas, close: () => replicas.close() };
}
