import type { AccessClaims } from '@guardian/auth';
import { notFound, unauthenticated } from '@guardian/domain';
import type { SessionRecord, SessionRepository } from '../repositories/session.repository.js';
import type { UserRepository } from '../repositories/user.repository.js';
import type { AccessTokens } from './access-tokens.js';
import type { ClientContext, EventFactory } from './events.js';
import {
  type RefreshPolicy,
  decideRefresh,
  formatRefreshToken,
  newRefreshSecret,
  parseRefreshToken,
  rotateUsedHashes,
  sessionExpiresAt,
} from './refresh-tokens.js';
import { SessionLivenessCache } from './session-cache.js';
import type { TokenPairResult } from './sign-in.service.js';

export interface SessionServiceDeps {
  users: UserRepository;
  sessions: SessionRepository;
  tokens: Pick<AccessTokens, 'issue' | 'verify'>;
  events: EventFactory;
  refresh: RefreshPolicy;
  /** Recently confirmed live sessions (see session-cache.ts); none when absent. */
  liveSessions?: SessionLivenessCache;
  clock?: () => Date;
}

/**
 * Sessions after sign-in: refresh-token rotation (decided by refresh-tokens.ts), checking that an
 * access token's session still lives, and ending sessions (logout, logout-all, revocation by the
 * user, an admin, a password change or a role change), each with `identity.session.revoked`.
 */
export class SessionService {
  private readonly clock: () => Date;
  private readonly liveSessions: SessionLivenessCache;

  constructor(private readonly deps: SessionServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.liveSessions = deps.liveSessions ?? new SessionLivenessCache();
  }

  async refresh(
    input: { refreshToken: string; client: ClientContext },
    requestId?: string,
    retried = false,
  ): Promise<TokenPairResult> {
    const parsed = parseRefreshToken(input.refreshToken);
    const now = this.clock();
    const session = await this.deps.sessions.findById(parsed.sessionId);
    const decision = decideRefresh(session ?? undefined, parsed.secretHash, now, this.deps.refresh);
    switch (decision.kind) {
      case 'invalid':
        throw unauthenticated('INVALID_REFRESH_TOKEN', 'Refresh token is invalid.');
      case 'revoked':
        throw unauthenticated('SESSION_REVOKED', 'This session has been revoked.');
      case 'expired':
        throw unauthenticated('SESSION_EXPIRED', 'This session has expired; sign in again.');
      case 'reuse':
        await this.revokeSessions(session!.userId, [session!._id], 'refresh_reuse', requestId);
        throw unauthenticated(
          'REFRESH_TOKEN_REUSED',
          'Refresh token was already used; the session has been revoked.',
        );
      case 'rotate':
        break;
    }
    const live = session!;
    const user = await this.deps.users.findById(live.userId);
    if (!user || user.status === 'disabled') {
      await this.revokeSessions(live.userId, [live._id], user ? 'revoked' : 'user_deleted', requestId);
      throw unauthenticated('SESSION_REVOKED', 'This session has been revoked.');
    }
    const { secret, hash } = newRefreshSecret();
    const rotated = await this.deps.sessions.rotate(
      live._id,
      live.refreshHash,
      hash,
      rotateUsedHashes(live.usedRefreshHashes, live.refreshHash),
      now,
      input.client,
    );
    if (!rotated) {
      // Someone rotated this token between our read and write: a second use of the same token.
      if (!retried) return this.refresh(input, requestId, true);
      throw unauthenticated('INVALID_REFRESH_TOKEN', 'Refresh token is invalid.');
    }
    const access = await this.deps.tokens.issue({
      userId: user._id,
      sessionId: live._id,
      role: user.role,
      authTime: live.createdAt,
    });
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: formatRefreshToken(live._id, secret),
      refreshTokenExpiresAt: sessionExpiresAt(
        { createdAt: live.createdAt, lastUsedAt: now },
        this.deps.refresh,
      ),
      sessionId: live._id,
    };
  }

  /** Verifies an access token and that its session is still live (identity owns sessions). */
  async authenticate(token: string): Promise<AccessClaims> {
    const claims = await this.deps.tokens.verify(token);
    const live = await this.liveSessions.check(claims.sessionId, () =>
      this.deps.sessions.isLive(claims.sessionId, claims.userId),
    );
    if (!live) throw unauthenticated('SESSION_REVOKED', 'This session has been revoked.');
    return claims;
  }

  async revokeSessions(userId: string, ids: string[], reason: string, requestId?: string): Promise<number> {
    if (ids.length === 0) return 0;
    this.liveSessions.forget(ids);
    const event = this.deps.events.make(
      'identity.session.revoked',
      { userId, sessionIds: ids, reason },
      userId,
      requestId,
    );
    const count = await this.deps.sessions.revoke(ids, reason, this.clock(), event);
    this.liveSessions.forgetEverywhere(ids);
    return count;
  }

  async logout(claims: AccessClaims, requestId?: string): Promise<void> {
    await this.revokeSessions(claims.userId, [claims.sessionId], 'logout', requestId);
  }

  async logoutAll(claims: AccessClaims, requestId?: string): Promise<number> {
    return this.revokeAllOf(claims.userId, 'logout_all', requestId);
  }

  /** Ends every live session of a user (logout-all, disable, delete, role change). */
  async revokeAllOf(userId: string, reason: string, requestId?: string): Promise<number> {
    const sessions = await this.deps.sessions.listLive(userId);
    return this.revokeSessions(
      userId,
      sessions.map((s) => s._id),
      reason,
      requestId,
    );
  }

  /** A user's live sessions; `currentSessionId` is marked current. */
  async listSessions(
    userId: string,
    currentSessionId = '',
  ): Promise<Array<SessionRecord & { expiresAt: Date; current: boolean }>> {
    const now = this.clock();
    return (await this.deps.sessions.listLive(userId))
      .map((s) => ({
        ...s,
        expiresAt: sessionExpiresAt(s, this.deps.refresh),
        current: s._id === currentSessionId,
      }))
      .filter((s) => s.expiresAt > now);
  }

  /** Revokes one session of `userId`; SESSION_NOT_FOUND when it is someone else's. */
  async revokeSession(userId: string, sessionId: string, requestId?: string): Promise<void> {
    const session = sessionId ? await this.deps.sessions.findById(sessionId) : null;
    if (!session || session.userId !== userId) throw notFound('SESSION_NOT_FOUND', 'No such session.');
    if (session.revokedAt) return;
    await this.revokeSessions(userId, [session._id], 'revoked', requestId);
  }
}
