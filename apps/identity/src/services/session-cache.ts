/**
 * A small cache of "this session was live at time t" so that verifying an access token does not
 * read MongoDB on every call. Entries live `ttlMs` (default 2 s); revocations made by this process
 * drop their entries at once, so on one replica a revoked session is refused immediately and on
 * others within `ttlMs`. Bounded: the oldest entries go first when `maxEntries` is reached.
 */
export class SessionLivenessCache {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly ttlMs = 2_000,
    private readonly maxEntries = 50_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  isFresh(sessionId: string): boolean {
    const checkedAt = this.entries.get(sessionId);
    if (checkedAt === undefined) return false;
    if (this.now() - checkedAt > this.ttlMs) {
      this.entries.delete(sessionId);
      return false;
    }
    return true;
  }

  markLive(sessionId: string): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(sessionId);
    this.entries.set(sessionId, this.now());
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  forget(sessionIds: readonly string[]): void {
    for (const id of sessionIds) this.entries.delete(id);
  }
}
