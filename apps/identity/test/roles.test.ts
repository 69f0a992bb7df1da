import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, MASTER, client, newUser, rejection, startIdentity } from './harness.js';

type Role = 'user' | 'admin' | 'master';
const ROLES: Role[] = ['user', 'admin', 'master'];
type Action =
  | 'GetUser'
  | 'CreateUser'
  | 'UpdateUser'
  | 'ChangeUsername'
  | 'DeleteUser'
  | 'SetRole'
  | 'UnlockUser'
  | 'GetStatus'
  | 'ListSessions'
  | 'ListLoginAttempts';

/** The rules of the issue, written out: which target roles each actor may act on (other accounts). */
const ALLOWED: Record<Role, Record<Action, Role[]>> = {
  user: {
    GetUser: [],
    CreateUser: [],
    UpdateUser: [],
    ChangeUsername: [],
    DeleteUser: [],
    SetRole: [],
    UnlockUser: [],
    GetStatus: [],
    ListSessions: [],
    ListLoginAttempts: [],
  },
  admin: {
    GetUser: ROLES,
    CreateUser: ['user'],
    UpdateUser: ['user'],
    ChangeUsername: ['user'],
    DeleteUser: ['user'],
    SetRole: [],
    UnlockUser: ['user'],
    GetStatus: ROLES,
    ListSessions: ['user'],
    ListLoginAttempts: ['user'],
  },
  master: {
    GetUser: ROLES,
    CreateUser: ROLES,
    UpdateUser: ROLES,
    ChangeUsername: ROLES,
    DeleteUser: ROLES,
    SetRole: ROLES,
    UnlockUser: ROLES,
    GetStatus: ROLES,
    ListSessions: ROLES,
    ListLoginAttempts: ROLES,
  },
};

describe('role rules over gRPC (actor role × action × target role)', () => {
  let h: IdentityHarness;
  const tokens = {} as Record<Role, string>;
  const ids = {} as Record<Role, string>;

  async function signIn(identifier: string, password: string) {
    return (await h.auth.login({ identifier, password, client: client('192.0.2.50') })).tokens!;
  }

  /** A fresh account of `role`, created by the master. */
  async function target(role: Role) {
    const input = newUser();
    const { user } = await h.users.createUser({ ...input, role }, { accessToken: tokens.master });
    return { ...input, id: user!.id, role };
  }

  beforeAll(async () => {
    h = await startIdentity({ IDENTITY_IP_LOCK_AFTER: '100000', IDENTITY_IP_DELAY_AFTER: '100000' });
    const master = await signIn(MASTER.username, MASTER.password);
    tokens.master = master.accessToken;
    ids.master = (await h.users.getProfile({}, { accessToken: master.accessToken })).user!.id;
    for (const role of ['admin', 'user'] as const) {
      const t = await target(role);
      tokens[role] = (await signIn(t.username, t.password)).accessToken;
      ids[role] = t.id;
    }
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function perform(
    action: Action,
    actor: Role,
    t: Awaited<ReturnType<typeof target>> | undefined,
    createRole: Role,
  ) {
    const call = { accessToken: tokens[actor] };
    switch (action) {
      case 'GetUser':
        return h.users.getUser({ userId: t!.id }, call);
      case 'CreateUser':
        return h.users.createUser({ ...newUser(), role: createRole }, call);
      case 'UpdateUser':
        return h.users.updateUser({ userId: t!.id, fullName: 'Renamed By Someone' }, call);
      case 'ChangeUsername':
        return h.users.updateUser({ userId: t!.id, username: `renamed_${t!.id.slice(0, 8)}` }, call);
      case 'DeleteUser':
        return h.users.deleteUser({ userId: t!.id }, call);
      case 'SetRole':
        return h.users.setRole({ userId: t!.id, role: t!.role === 'admin' ? 'user' : 'admin' }, call);
      case 'UnlockUser':
        return h.users.unlockUser({ userId: t!.id }, call);
      case 'GetStatus':
        return h.verification.getStatus({ userId: t!.id }, call);
      case 'ListSessions':
        return h.auth.listSessions({ userId: t!.id }, call);
      case 'ListLoginAttempts':
        return h.auth.listLoginAttempts({ userId: t!.id, limit: 0 }, call);
    }
  }

  for (const actor of ROLES) {
    for (const action of Object.keys(ALLOWED[actor]) as Action[]) {
      for (const targetRole of ROLES) {
        const allowed = ALLOWED[actor][action].includes(targetRole);
        it(`${actor} ${allowed ? 'may' : 'may not'} ${action} ${action === 'CreateUser' ? 'with role' : 'on a'} ${targetRole}`, async () => {
          const t = action === 'CreateUser' ? undefined : await target(targetRole);
          if (allowed) {
            await expect(perform(action, actor, t, targetRole)).resolves.toBeDefined();
          } else {
            expect(await rejection(perform(action, actor, t, targetRole))).toMatchObject({
              kind: 'forbidden',
              reason: 'FORBIDDEN',
            });
          }
        });
      }
    }
  }

  it("an admin reviews a user's sign-in attempts and sessions and revokes one; users see only their own", async () => {
    const t = await target('user');
    await rejection(
      h.auth.login({
        identifier: t.username,
        password: 'not the password',
        client: client('192.0.2.61', 'curl/8'),
      }),
    );
    const session = await signIn(t.username, t.password);
    const admin = { accessToken: tokens.admin };

    const { attempts } = await h.auth.listLoginAttempts({ userId: t.id, limit: 10 }, admin);
    expect(attempts.map((a) => [a.outcome, a.reason, a.method])).toEqual([
      ['success', expect.any(String), 'password'],
      ['failure', 'INVALID_CREDENTIALS', 'password'],
    ]);
    expect(attempts[1]).toMatchObject({ ip: '192.0.2.61', userAgent: 'curl/8' });
    const own = await h.auth.listLoginAttempts(
      { userId: '', limit: 1 },
      { accessToken: session.accessToken },
    );
    expect(own.attempts.map((a) => a.id)).toEqual([attempts[0]!.id]);
    expect((await rejection(h.auth.listLoginAttempts({ userId: t.id, limit: 500 }, admin))).reason).toBe(
      'INVALID_LIMIT',
    );

    const { sessions } = await h.auth.listSessions({ userId: t.id }, admin);
    expect(sessions.map((s) => [s.id, s.current])).toEqual([[session.sessionId, false]]);
    await h.auth.revokeSession({ sessionId: session.sessionId, userId: t.id }, admin);
    expect((await rejection(h.users.getProfile({}, { accessToken: session.accessToken }))).reason).toBe(
      'SESSION_REVOKED',
    );
    // A session id of another user does not resolve under this user, and a plain user may not ask.
    expect(
      (await rejection(h.auth.revokeSession({ sessionId: session.sessionId, userId: ids.user }, admin)))
        .reason,
    ).toBe('SESSION_NOT_FOUND');
    expect(
      (await rejection(h.auth.listSessions({ userId: t.id }, { accessToken: tokens.user }))).reason,
    ).toBe('FORBIDDEN');
    expect((await rejection(h.auth.listSessions({ userId: 'no-such-user' }, admin))).reason).toBe(
      'USER_NOT_FOUND',
    );
  });

  describe('ListUsers', () => {
    it.each([
      ['user', false],
      ['admin', true],
      ['master', true],
    ] as const)('%s listing users: allowed=%s', async (actor, allowed) => {
      const call = h.users.listUsers(
        { pageSize: 5, pageToken: '', query: '', role: '', status: '' },
        { accessToken: tokens[actor] },
      );
      if (allowed) expect((await call).users.length).toBeGreaterThan(0);
      else expect((await rejection(call)).reason).toBe('FORBIDDEN');
    });

    it('searches by name/username/e-mail, filters by role and paginates', async () => {
      const mark = `Zeta${Date.now().toString(36)}`;
      for (let i = 0; i < 3; i++)
        await h.users.createUser(
          { ...newUser({ fullName: `${mark} Person ${i}` }), role: 'user' },
          { accessToken: tokens.master },
        );
      const call = { accessToken: tokens.admin };
      const first = await h.users.listUsers(
        { pageSize: 2, pageToken: '', query: mark.toLowerCase(), role: '', status: '' },
        call,
      );
      expect(first.totalSize).toBe(3);
      expect(first.users).toHaveLength(2);
      const second = await h.users.listUsers(
        { pageSize: 2, pageToken: first.nextPageToken, query: mark, role: '', status: '' },
        call,
      );
      expect(second.users).toHaveLength(1);
      expect(second.nextPageToken).toBe('');
      expect(new Set([...first.users, ...second.users].map((u) => u.id)).size).toBe(3);
      const masters = await h.users.listUsers(
        { pageSize: 100, pageToken: '', query: '', role: 'master', status: '' },
        call,
      );
      expect(masters.users.every((u) => u.role === 'master')).toBe(true);
      const unverified = await h.users.listUsers(
        { pageSize: 100, pageToken: '', query: mark, role: '', status: 'active', verified: false },
        call,
      );
      expect(unverified.totalSize).toBe(3);
      expect(
        (
          await rejection(
            h.users.listUsers({ pageSize: 2, pageToken: '!!', query: '', role: '', status: '' }, call),
          )
        ).reason,
      ).toBe('INVALID_PAGE_TOKEN');
      expect(
        (
          await rejection(
            h.users.listUsers({ pageSize: 2, pageToken: '', query: '', role: 'root', status: '' }, call),
          )
        ).reason,
      ).toBe('INVALID_ROLE');
    });
  });

  describe('own account', () => {
    for (const actor of ROLES) {
      it(`${actor} cannot delete self, change own username or own role, but reads and updates own profile`, async () => {
        const call = { accessToken: tokens[actor] };
        expect((await rejection(h.users.deleteUser({ userId: ids[actor] }, call))).reason).toBe(
          'CANNOT_DELETE_SELF',
        );
        expect(
          (
            await rejection(
              h.users.updateUser({ userId: ids[actor], username: `self_rename_${actor}` }, call),
            )
          ).reason,
        ).toBe('CANNOT_CHANGE_OWN_USERNAME');
        expect((await rejection(h.users.setRole({ userId: ids[actor], role: 'master' }, call))).reason).toBe(
          actor === 'master' ? 'CANNOT_CHANGE_OWN_ROLE' : 'FORBIDDEN',
        );
        expect((await h.users.getUser({ userId: '' }, call)).user!.id).toBe(ids[actor]);
        expect((await h.users.updateProfile({ bio: `I am the ${actor}` }, call)).user!.profile!.bio).toBe(
          `I am the ${actor}`,
        );
      });
    }
  });

  describe('role changes and deletion effects', () => {
    it('SetRole applies at once, ends the sessions of the old role, publishes identity.user.updated, and a deleted user publishes identity.user.deleted and loses its sessions', async () => {
      const t = await target('user');
      const before = await signIn(t.username, t.password);
      const { user } = await h.users.setRole({ userId: t.id, role: 'admin' }, { accessToken: tokens.master });
      expect(user!.role).toBe('admin');
      const [updated] = await h.tap.expect('identity.user.updated', t.id);
      expect(updated!.data).toMatchObject({ userId: t.id, role: 'admin', changedFields: ['role'] });
      // Tokens carry the role: the ones issued under the old role die with their sessions.
      expect((await rejection(h.users.getProfile({}, { accessToken: before.accessToken }))).reason).toBe(
        'SESSION_REVOKED',
      );
      const [roleChanged] = await h.tap.expect('identity.session.revoked', t.id);
      expect(roleChanged!.data).toMatchObject({ sessionIds: [before.sessionId], reason: 'role_changed' });
      // Signed in again, the new admin acts as one.
      const session = await signIn(t.username, t.password);
      await h.users.listUsers(
        { pageSize: 1, pageToken: '', query: '', role: '', status: '' },
        { accessToken: session.accessToken },
      );
      expect(
        (await rejection(h.users.setRole({ userId: t.id, role: 'bogus' }, { accessToken: tokens.master })))
          .reason,
      ).toBe('INVALID_ROLE');

      await h.users.deleteUser({ userId: t.id }, { accessToken: tokens.master });
      const [deleted] = await h.tap.expect('identity.user.deleted', t.id);
      expect(deleted!.data).toEqual({ userId: t.id, deletedBy: ids.master });
      expect(
        (await rejection(h.users.getUser({ userId: t.id }, { accessToken: tokens.master }))).reason,
      ).toBe('USER_NOT_FOUND');
      expect((await rejection(h.users.getProfile({}, { accessToken: session.accessToken }))).reason).toBe(
        'SESSION_REVOKED',
      );
      const revoked = (await h.tap.expect('identity.session.revoked', t.id, 2))[1];
      expect(revoked!.data).toMatchObject({
        userId: t.id,
        sessionIds: [session.sessionId],
        reason: 'user_deleted',
      });
      // The username and e-mail are free again.
      await h.auth.register({
        username: t.username,
        email: t.email,
        password: t.password,
        fullName: 'Again',
        locale: 'en',
        client: client(),
      });
      expect(h.tap.of('identity.user.deleted', t.id)).toHaveLength(1);
    });
  });
});
