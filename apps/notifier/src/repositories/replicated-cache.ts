import { TtlCache } from '@guardian/domain';
import { CacheInvalidation, type EventBus } from '@guardian/events';

/** Where a repository tells the other replicas that one of its cached documents changed. */
export interface ReplicaNotice {
  announce(key: string): void;
}

/** A repository's read cache and where it announces its writes (no cache and no notice: none given). */
export interface CachedRepositoryOptions<V> {
  cache?: TtlCache<string, V>;
  replicas?: ReplicaNotice;
}

/** A per-replica cache kept coherent with the other replicas' writes (`cache.notifier.<topic>`). */
export function replicatedCache<V>(
  bus: EventBus,
  topic: string,
  ttlMs: number,
): Required<CachedRepositoryOptions<V>> & { close(): void } {
  const cache = new TtlCache<string, V>(ttlMs);
  const replicas = new CacheInvalidation(bus, `notifier.${topic}`, cache);
  return { cache, replicas, close: () => replicas.close() };
}
