import { TtlCache } from '@guardian/domain';

import type { AccessClaims, TokenVerifier } from './verifier.js';

/** What a feed of `identity.session.revoked` events tells a service that checks tokens. */
export interface SessionRevocations {
  /** These sessions were revoked: refuse their tokens from now on. */
  revoked(sessionIds: readonly string[]): void;
  /** Revocations may be missed from now on (the event link is down): remember nothing. */
  suspend(): void;
  /** The feed follows again: remembering may restart from a clean slate. */
  resume(): void;
}

/** How long a "live" answer is remembered at most: only bounds a revocation event that never came. */
export const LIVE_SESSION_TTL_MS = 30_000;

/**
 * Access tokens outside identity: the signature (`tokens`), then whether the session still lives,
 * asked of identity (`check`, which throws SESSION_REVOKED) once per session and remembered until a
 * revocation event names the session. Identity revokes every session of a user who logs out, is
 * disabled, deleted, changes role or password, or reuses a refresh token, so this one check refuses
 * all of them within an event's delivery time. Until the feed says it follows (`resume`), and while
 * it is cut off, nothing is remembered: every call asks identity.
 */
export class LiveSessionVerifier implements TokenVerifier, SessionRevocations {
  private readonly live: TtlCache<string, true>;
  private following = false;
  private readonly watchers = new Map<string, Set<() => void>>();

  constructor(
    private readonly tokens: TokenVerifier,
    private readonly check: (token: string) => Promise<unknown>,
    options: { ttlMs?: number; maxCached?: number; now?: () => number } = {},
  ) {
    this.live = new TtlCache(options.ttlMs ?? LIVE_SESSION_TTL_MS, options.maxCached ?? 50_000, options.now);
  }

  async verify(token: string): Promise<AccessClaims> {
    const claims = await this.tokens.verify(token);
    const ask = async () => {
      await this.check(token);
      return true as const;
    };
    if (this.following) await this.live.getOrLoad(claims.sessionId, ask);
    else await ask();
    return claims;
  }

  revoked(sessionIds: readonly string[]): void {
    for (const id of sessionIds) {
      this.live.delete(id);
      for (const end of this.watchers.get(id) ?? []) end();
    }
  }

  suspend(): void {
    this.following = false;
    this.live.clear();
  }

  resume(): void {
    this.live.clear();
    this.following = true;
  }

  /** Calls `onRevoked` if the session is revoked (an open stream ends with its session); returns the unwatch. */
  watch(sessionId: string, onRevoked: () => void): () => void {
    const set = this.watchers.get(sessionId) ?? new Set();
    set.add(onRevoked);
    this.watchers.set(sessionId, set);
    return () => {
      set.delete(onRevoked);
      if (set.size === 0) this.watchers.delete(sessionId);
    };
  }
}
