import { TtlCache } from '@guardian/domain';

/**
 * A small cache of "this session was live at time t" so that verifying an access token does not
 * read MongoDB on every call. Entries live `ttlMs` (default 2 s); revocations made by this process
 * drop their entries at once, so on one replica a revoked session is refused immediately and on
 * others within `ttlMs`. Bounded: the oldest entries go first when `maxEntries` is reached.
 */
export class SessionLivenessCache {
  private readonly entries: TtlCache<string, true>;

  constructor(ttlMs = 2_000, maxEntries = 50_000, now: () => number = () => Date.now()) {
    this.entries = new TtlCache(ttlMs, maxEntries, now);
  }

  isFresh(sessionId: string): boolean {
    return this.entries.get(sessionId) === true;
  }

  markLive(sessionId: string): void {
    this.entries.set(sessionId, true);
  }

  forget(sessionIds: readonly string[]): void {
    for (const id of sessionIds) this.entries.delete(id);
  }
}
