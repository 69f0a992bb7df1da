import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, client, newUser, rejection, startIdentity } from './harness.js';

describe('AuthService sign-in and sessions', () => {
  let h: IdentityHarness;
  beforeAll(async () => {
    // Lock after 3 failures, for 10 minutes: long enough that only an unlock opens it during the test.
    h = await startIdentity({
      IDENTITY_ACCOUNT_LOCK_AFTER: '3',
      IDENTITY_ACCOUNT_DELAY_AFTER: '2',
      IDENTITY_ACCOUNT_LOCK_BASE_MS: '600000',
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function registered() {
    const input = newUser();
    const { user } = await h.auth.register({ ...input, client: client() });
    return { input, user: user! };
  }

  describe('Login', () => {
    it('signs in by username and by e-mail (any case), with tokens and a login.succeeded event', async () => {
      const { input, user } = await registered();
      const ip = '198.51.100.10';
      const byName = await h.auth.login({
        identifier: input.username.toUpperCase(),
        password: input.password,
        client: client(ip, 'ua-1'),
      });
      const byEmail = await h.auth.login({
        identifier: input.email.toUpperCase(),
        password: input.password,
        client: client(ip, 'ua-2'),
      });
      for (const res of [byName, byEmail]) {
        expect(res.user?.id).toBe(user.id);
        expect(res.tokens).toMatchObject({ tokenType: 'Bearer' });
        expect(res.tokens!.accessToken.split('.')).toHaveLength(3);
        expect(res.tokens!.refreshToken).toContain('.');
      }
      const events = await h.tap.expect('identity.login.succeeded', user.id, 2);
      expect(events).toHaveLength(2);
      expect(events.map((e) => e.data.sessionId).sort()).toEqual(
        [byName.tokens!.sessionId, byEmail.tokens!.sessionId].sort(),
      );
      expect(events.find((e) => e.data.sessionId === byName.tokens!.sessionId)!.data).toMatchObject({
        userId: user.id,
        method: 'password',
        client: { ip, userAgent: 'ua-1' },
      });
    });

    it('answers unknown user and wrong password with the same INVALID_CREDENTIALS', async () => {
      const { input } = await registered();
      const wrong = await rejection(
        h.auth.login({
          identifier: input.username,
          password: 'definitely not it 123',
          client: client('198.51.100.11'),
        }),
      );
      const unknown = await rejection(
        h.auth.login({
          identifier: `nobody_${Date.now()}`,
          password: 'definitely not it 123',
          client: client('198.51.100.11'),
        }),
      );
      for (const error of [wrong, unknown])
        expect(error).toMatchObject({ kind: 'unauthenticated', reason: 'INVALID_CREDENTIALS' });
      expect((wrong as unknown as Error).message).toBe((unknown as unknown as Error).message);
      const missing = await rejection(h.auth.login({ identifier: '', password: '', client: client() }));
      expect(missing.reason).toBe('MISSING_CREDENTIALS');
    });

    it('publishes login.failed with IP, user agent, method and the attempt count', async () => {
      const { input, user } = await registered();
      await rejection(
        h.auth.login({
          identifier: input.username,
          password: 'wrong password one',
          client: client('198.51.100.12', 'ua-fail'),
        }),
      );
      const [event] = await h.tap.expect('identity.login.failed', user.id);
      expect(event!.data).toMatchObject({
        userId: user.id,
        identifier: input.username.toLowerCase(),
        method: 'password',
        client: { ip: '198.51.100.12', userAgent: 'ua-fail' },
        attemptCount: 1,
        reason: 'INVALID_CREDENTIALS',
      });
    });
  });

  describe('brute-force lock', () => {
    it('locks the account after repeated failures (ACCOUNT_LOCKED + retry-after, account.locked event) and an admin unlock opens it', async () => {
      const { input, user } = await registered();
      const ip = '198.51.100.20';
      for (let i = 0; i < 3; i++) {
        expect(
          (
            await rejection(
              h.auth.login({
                identifier: input.username,
                password: `wrong password ${i}`,
                client: client(ip),
              }),
            )
          ).reason,
        ).toBe('INVALID_CREDENTIALS');
      }
      const locked = await rejection(
        h.auth.login({ identifier: input.username, password: input.password, client: client(ip) }),
      );
      expect(locked).toMatchObject({ kind: 'rate_limited', reason: 'ACCOUNT_LOCKED' });
      expect(locked.retryAfterMs).toBeGreaterThan(500_000);
      const [lockEvent] = await h.tap.expect('identity.account.locked', user.id);
      expect(lockEvent!.data).toMatchObject({
        userId: user.id,
        attemptCount: 3,
        channel: 'password',
        client: { ip },
      });
      expect(lockEvent!.data.lockedUntil!.getTime()).toBeGreaterThan(Date.now());
      expect(h.tap.of('identity.account.locked', user.id)).toHaveLength(1);

      const master = await h.auth.login({
        identifier: 'root-master',
        password: 'Master passphrase for tests 1',
        client: client('192.0.2.1'),
      });
      const fetched = await h.users.getUser({ userId: user.id }, { accessToken: master.tokens!.accessToken });
      expect(fetched.user!.lockedUntil).toBeDefined();
      const unlocked = await h.users.unlockUser(
        { userId: user.id },
        { accessToken: master.tokens!.accessToken },
      );
      expect(unlocked.user!.lockedUntil).toBeUndefined();
      const ok = await h.auth.login({
        identifier: input.username,
        password: input.password,
        client: client(ip),
      });
      expect(ok.user!.id).toBe(user.id);
    });

    it('checks no more parallel guesses than the lock allows: 50 at once on one account, 50 at once from one IP', async () => {
      const { input } = await registered();
      const guesses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          rejection(
            h.auth.login({
              identifier: input.username,
              password: `parallel guess ${i}`,
              client: client(`203.0.113.${i + 1}`),
            }),
          ),
        ),
      );
      const reasons = guesses.map((g) => g.reason);
      // lockAfter is 3 here: each guess is counted in the same step that admits it.
      expect(reasons.filter((r) => r === 'INVALID_CREDENTIALS').length).toBeLessThanOrEqual(3);
      expect(reasons.filter((r) => r === 'INVALID_CREDENTIALS').length).toBeGreaterThanOrEqual(1);
      expect(
        reasons.every((r) => ['INVALID_CREDENTIALS', 'ACCOUNT_LOCKED', 'TOO_MANY_ATTEMPTS'].includes(r)),
      ).toBe(true);
      expect(
        (
          await rejection(
            h.auth.login({ identifier: input.username, password: input.password, client: client() }),
          )
        ).reason,
      ).toBe('ACCOUNT_LOCKED');

      // One IP spraying 50 names at once: the IP's window (lockAfter 30 by default) admits at most 30.
      const sprayed = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          rejection(
            h.auth.login({
              identifier: `spray_${Date.now()}_${i}`,
              password: 'a guessed password',
              client: client('198.51.100.77'),
            }),
          ),
        ),
      );
      const evaluated = sprayed.filter((g) => g.reason === 'INVALID_CREDENTIALS').length;
      expect(evaluated).toBeLessThanOrEqual(30);
      expect(sprayed.filter((g) => g.reason === 'TOO_MANY_ATTEMPTS').length).toBe(50 - evaluated);
    });

    it('locks unknown identifiers the same way (no enumeration by locking)', async () => {
      const name = `ghost_${Date.now()}`;
      for (let i = 0; i < 3; i++)
        await rejection(
          h.auth.login({
            identifier: name,
            password: `wrong password ${i}`,
            client: client('198.51.100.21'),
          }),
        );
      expect(
        (
          await rejection(
            h.auth.login({ identifier: name, password: 'anything at all', client: client('198.51.100.21') }),
          )
        ).reason,
      ).toBe('ACCOUNT_LOCKED');
    });
  });

  describe('Refresh', () => {
    it('rotates the refresh token; reusing an old one revokes the whole session', async () => {
      const { input, user } = await registered();
      const login = await h.auth.login({
        identifier: input.username,
        password: input.password,
        client: client('198.51.100.30'),
      });
      const first = login.tokens!.refreshToken;
      const second = (await h.auth.refresh({ refreshToken: first, client: client('198.51.100.30') })).tokens!;
      expect(second.refreshToken).not.toBe(first);
      expect(second.sessionId).toBe(login.tokens!.sessionId);
      const third = (
        await h.auth.refresh({ refreshToken: second.refreshToken, client: client('198.51.100.30') })
      ).tokens!;
      await h.users.getProfile({}, { accessToken: third.accessToken });

      expect((await rejection(h.auth.refresh({ refreshToken: first, client: client() }))).reason).toBe(
        'REFRESH_TOKEN_REUSED',
      );
      // The family is gone: the newest refresh token and the access tokens of the session stop working.
      expect(
        (await rejection(h.auth.refresh({ refreshToken: third.refreshToken, client: client() }))).reason,
      ).toBe('SESSION_REVOKED');
      expect((await rejection(h.users.getProfile({}, { accessToken: third.accessToken }))).reason).toBe(
        'SESSION_REVOKED',
      );
      const [revoked] = await h.tap.expect('identity.session.revoked', user.id);
      expect(revoked!.data).toEqual({
        userId: user.id,
        sessionIds: [login.tokens!.sessionId],
        reason: 'refresh_reuse',
      });
    });

    it('keeps the sign-in time (auth_time) in refreshed access tokens: a refresh is no fresh proof', async () => {
      const { input } = await registered();
      const authTime = (token: string) =>
        (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { auth_time?: number })
          .auth_time;
      const before = Math.floor(Date.now() / 1000);
      const login = await h.auth.login({
        identifier: input.username,
        password: input.password,
        client: client(),
      });
      const signedInAt = authTime(login.tokens!.accessToken)!;
      expect(signedInAt).toBeGreaterThanOrEqual(before - 1);
      await new Promise((r) => setTimeout(r, 1_100));
      const refreshed = (await h.auth.refresh({ refreshToken: login.tokens!.refreshToken, client: client() }))
        .tokens!;
      expect(authTime(refreshed.accessToken)).toBe(signedInAt);
    });

    it('rejects garbage and unknown refresh tokens', async () => {
      expect((await rejection(h.auth.refresh({ refreshToken: 'garbage', client: client() }))).reason).toBe(
        'INVALID_REFRESH_TOKEN',
      );
      expect(
        (
          await rejection(
            h.auth.refresh({ refreshToken: `nosuchsession.${'A'.repeat(43)}`, client: client() }),
          )
        ).reason,
      ).toBe('INVALID_REFRESH_TOKEN');
    });
  });

  describe('Logout, LogoutAll, ListSessions, RevokeSession', () => {
    it('logout revokes the session: its access and refresh tokens are rejected', async () => {
      const { input, user } = await registered();
      const { tokens } = await h.auth.login({
        identifier: input.username,
        password: input.password,
        client: client('198.51.100.40'),
      });
      await h.auth.logout({}, { accessToken: tokens!.accessToken });
      expect((await rejection(h.users.getProfile({}, { accessToken: tokens!.accessToken }))).reason).toBe(
        'SESSION_REVOKED',
      );
      expect(
        (await rejection(h.auth.refresh({ refreshToken: tokens!.refreshToken, client: client() }))).reason,
      ).toBe('SESSION_REVOKED');
      const [event] = await h.tap.expect('identity.session.revoked', user.id);
      expect(event!.data).toEqual({ userId: user.id, sessionIds: [tokens!.sessionId], reason: 'logout' });
    });

    it('lists own sessions with device and IP, revokes one, and logs out everywhere', async () => {
      const { input, user } = await registered();
      const a = (
        await h.auth.login({
          identifier: input.username,
          password: input.password,
          client: client('198.51.100.41', 'phone'),
        })
      ).tokens!;
      const b = (
        await h.auth.login({
          identifier: input.username,
          password: input.password,
          client: client('198.51.100.42', 'laptop'),
        })
      ).tokens!;
      const c = (
        await h.auth.login({
          identifier: input.username,
          password: input.password,
          client: client('198.51.100.43', 'tablet'),
        })
      ).tokens!;
      const { sessions } = await h.auth.listSessions({ userId: '' }, { accessToken: a.accessToken });
      expect(sessions.map((s) => s.id).sort()).toEqual([a.sessionId, b.sessionId, c.sessionId].sort());
      expect(sessions.find((s) => s.id === b.sessionId)).toMatchObject({
        ip: '198.51.100.42',
        userAgent: 'laptop',
        method: 'password',
        current: false,
      });
      expect(sessions.find((s) => s.id === a.sessionId)!.current).toBe(true);

      await h.auth.revokeSession({ sessionId: b.sessionId, userId: '' }, { accessToken: a.accessToken });
      expect((await rejection(h.users.getProfile({}, { accessToken: b.accessToken }))).reason).toBe(
        'SESSION_REVOKED',
      );
      // Someone else's session is not found.
      const other = await registered();
      const theirs = (
        await h.auth.login({
          identifier: other.input.username,
          password: other.input.password,
          client: client('198.51.100.44'),
        })
      ).tokens!;
      expect(
        (
          await rejection(
            h.auth.revokeSession({ sessionId: theirs.sessionId, userId: '' }, { accessToken: a.accessToken }),
          )
        ).reason,
      ).toBe('SESSION_NOT_FOUND');

      const { revokedCount } = await h.auth.logoutAll({}, { accessToken: c.accessToken });
      expect(revokedCount).toBe(2);
      for (const t of [a, c])
        expect((await rejection(h.users.getProfile({}, { accessToken: t.accessToken }))).reason).toBe(
          'SESSION_REVOKED',
        );
      const events = await h.tap.expect('identity.session.revoked', user.id, 2);
      expect(events.map((e) => e.data.reason).sort()).toEqual(['logout_all', 'revoked']);
      expect(events.find((e) => e.data.reason === 'logout_all')!.data.sessionIds.sort()).toEqual(
        [a.sessionId, c.sessionId].sort(),
      );
    });

    it('refuses calls without a token or with a forged one', async () => {
      expect((await rejection(h.users.getProfile({}))).reason).toBe('MISSING_TOKEN');
      expect((await rejection(h.users.getProfile({}, { accessToken: 'a.b.c' }))).reason).toBe(
        'INVALID_TOKEN',
      );
    });
  });

  describe('ChangePassword', () => {
    it('needs the current password, applies the policy, revokes the other sessions and publishes password.changed', async () => {
      const { input, user } = await registered();
      const keep = (
        await h.auth.login({
          identifier: input.username,
          password: input.password,
          client: client('198.51.100.50'),
        })
      ).tokens!;
      const other = (
        await h.auth.login({
          identifier: input.username,
          password: input.password,
          client: client('198.51.100.51'),
        })
      ).tokens!;
      const call = { accessToken: keep.accessToken };
      expect(
        (
          await rejection(
            h.auth.changePassword(
              {
                currentPassword: 'not the password',
                newPassword: 'A brand new passphrase 7',
                client: client(),
              },
              call,
            ),
          )
        ).reason,
      ).toBe('INVALID_CURRENT_PASSWORD');
      expect(
        (
          await rejection(
            h.auth.changePassword(
              { currentPassword: input.password, newPassword: 'password1', client: client() },
              call,
            ),
          )
        ).reason,
      ).toBe('WEAK_PASSWORD');
      const { revokedSessions } = await h.auth.changePassword(
        {
          currentPassword: input.password,
          newPassword: 'A brand new passphrase 7',
          client: client('198.51.100.50', 'ua-cp'),
        },
        call,
      );
      expect(revokedSessions).toBe(1);
      await h.users.getProfile({}, call);
      expect((await rejection(h.users.getProfile({}, { accessToken: other.accessToken }))).reason).toBe(
        'SESSION_REVOKED',
      );
      expect(
        (
          await rejection(
            h.auth.login({
              identifier: input.username,
              password: input.password,
              client: client('198.51.100.52'),
            }),
          )
        ).reason,
      ).toBe('INVALID_CREDENTIALS');
      await h.auth.login({
        identifier: input.username,
        password: 'A brand new passphrase 7',
        client: client('198.51.100.52'),
      });
      const [changed] = await h.tap.expect('identity.password.changed', user.id);
      expect(changed!.data).toMatchObject({
        userId: user.id,
        client: { ip: '198.51.100.50', userAgent: 'ua-cp' },
      });
      const [revoked] = await h.tap.expect('identity.session.revoked', user.id);
      expect(revoked!.data).toEqual({
        userId: user.id,
        sessionIds: [other.sessionId],
        reason: 'password_changed',
      });
    });
  });

  describe('GetJwks', () => {
    it('publishes the Ed25519 key that verifies the access tokens', async () => {
      const { jwks } = await h.auth.getJwks({});
      expect(jwks!.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
      const { input } = await registered();
      const { tokens } = await h.auth.login({
        identifier: input.username,
        password: input.password,
        client: client('198.51.100.60'),
      });
      const header = JSON.parse(Buffer.from(tokens!.accessToken.split('.')[0]!, 'base64url').toString()) as {
        kid: string;
        alg: string;
      };
      expect(header).toMatchObject({ alg: 'EdDSA', kid: jwks!.keys[0]!.kid });
    });
  });
});
