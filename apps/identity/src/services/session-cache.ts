import { ReplicatedCache } from '@guardian/events';

/**
 * Remembers "this session was live" so that verifying an access token does not read MongoDB on
 * every call (only live answers are kept, for the cache's ttl). A revocation drops its entries
 * here and on every other identity replica at once; the ttl only bounds a
 * missed announcement. A check that raced a revocation is not remembered (`TtlCache.getOrLoad`).
 */
export class SessionLivenessCache {
  constructor(private readonly entries = new ReplicatedCache<true>()) {}

  /** Whether the session is live: from the cache, or `isLive()` (remembered when true). */
  async check(sessionId: string, isLive: () => Promise<boolean>): Promise<boolean> {
    const live = await this.entries.getOrLoad(sessionId, async () => ((await isLive()) ? true : undefined));
    return live === true;
  }

  /** Before revoking: stop serving these sessions from this replica's cache. */
  forget(sessionIds: readonly string[]): void {
    for (const id of sessionIds) this.entries.dropHere(id);
  }

  /** After revoking: drop them again (a check may have raced the write) and tell the other replicas. */
  forgetEverywhere(sessionIds: readonly string[]): void {
    for (const id of sessionIds) this.entries.dropEverywhere(id);
  }
}
