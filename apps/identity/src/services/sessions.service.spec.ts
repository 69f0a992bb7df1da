import type { AccessClaims } from '@guardian/auth';
import { describe, expect, it } from 'vitest';
import type { SessionRecord, SessionRepository } from '../repositories/session.repository.js';
import type { UserRepository } from '../repositories/user.repository.js';
import { formatRefreshToken, newRefreshSecret } from './refresh-tokens.js';
import { SessionService } from './sessions.service.js';
import { events, fakeSessions, fakeUser, fakeUsers, T0 } from './service-fakes.js';

function session(id: string, fields: Partial<SessionRecord> = {}): SessionRecord {
  return {
    _id: id,
    userId: 'u1',
    method: 'password',
    ip: '',
    userAgent: '',
    refreshHash: '',
    usedRefreshHashes: [],
    createdAt: T0,
    lastUsedAt: T0,
    revokedAt: null,
    revokedReason: null,
    ...fields,
  };
}

function setup(userFields = {}) {
  const { secret, hash } = newRefreshSecret();
  const sessions = fakeSessions([
    session('s1', { refreshHash: hash }),
    session('s2'),
    session('other', { userId: 'u2' }),
  ]);
  const users = fakeUsers([fakeUser(userFields)]);
  const issued: { authTime?: Date }[] = [];
  const service = new SessionService({
    users: users.repo as unknown as UserRepository,
    sessions: sessions.repo as unknown as SessionRepository,
    tokens: {
      issue: async (subject) => {
        issued.push(subject);
        return { token: 'access', expiresAt: T0 };
      },
      verify: async (token) =>
        ({ userId: 'u1', sessionId: token, role: 'user', expiresAt: T0 }) as AccessClaims,
    },
    events,
    refresh: { idleTtlMs: 3_600_000, absoluteTtlMs: 86_400_000 },
    clock: () => new Date(T0.getTime() + 60_000),
  });
  return { service, sessions, issued, token: formatRefreshToken('s1', secret), usedHash: hash };
}

describe('SessionService', () => {
  it("rotates a refresh token and keeps the session's sign-in time in the new access token", async () => {
    const { service, sessions, issued, token, usedHash } = setup();
    const pair = await service.refresh({ refreshToken: token, client: { ip: '', userAgent: '' } });
    expect(pair.sessionId).toBe('s1');
    expect(issued[0]!.authTime).toEqual(T0);
    expect(sessions.byId.get('s1')!.usedRefreshHashes).toContain(usedHash);
  });

  it('revokes the session when a used refresh token comes back (REFRESH_TOKEN_REUSED)', async () => {
    const { service, sessions, token } = setup();
    await service.refresh({ refreshToken: token, client: { ip: '', userAgent: '' } });
    await expect(
      service.refresh({ refreshToken: token, client: { ip: '', userAgent: '' } }),
    ).rejects.toMatchObject({
      reason: 'REFRESH_TOKEN_REUSED',
    });
    expect(sessions.revoked).toEqual([{ ids: ['s1'], reason: 'refresh_reuse' }]);
  });

  it('refuses and ends the session of a disabled account on refresh', async () => {
    const { service, sessions, token } = setup({ status: 'disabled' });
    await expect(
      service.refresh({ refreshToken: token, client: { ip: '', userAgent: '' } }),
    ).rejects.toMatchObject({
      reason: 'SESSION_REVOKED',
    });
    expect(sessions.revoked).toEqual([{ ids: ['s1'], reason: 'revoked' }]);
  });

  it('refuses an access token whose session was revoked, and ends only sessions of the named user', async () => {
    const { service } = setup();
    await expect(service.authenticate('s2')).resolves.toMatchObject({ sessionId: 's2' });
    await service.revokeSession('u1', 's2');
    await expect(service.authenticate('s2')).rejects.toMatchObject({ reason: 'SESSION_REVOKED' });
    await expect(service.revokeSession('u1', 'other')).rejects.toMatchObject({ reason: 'SESSION_NOT_FOUND' });
  });

  it('logs out everywhere: every live session of the user, with its reason', async () => {
    const { service, sessions } = setup();
    const claims = { userId: 'u1', sessionId: 's1', role: 'user', expiresAt: T0 } as AccessClaims;
    expect(await service.logoutAll(claims)).toBe(2);
    expect(sessions.revoked).toEqual([{ ids: ['s1', 's2'], reason: 'logout_all' }]);
  });
});
