import type { AccessClaims } from '@guardian/auth';
import { describe, expect, it } from 'vitest';
import type { UserRepository } from '../repositories/user.repository.js';
import { CredentialService, type CredentialServiceDeps } from './credentials.service.js';
import { events, fakeHasher, fakeUser, fakeUsers, T0 } from './service-fakes.js';

function setup(userFields = {}) {
  const users = fakeUsers([fakeUser(userFields)]);
  const { hasher } = fakeHasher();
  const revoked: { ids: string[]; reason: string }[] = [];
  const credentials = new CredentialService({
    users: users.repo as unknown as UserRepository,
    sessions: {
      listLive: async () =>
        [{ _id: 's1' }, { _id: 's2' }, { _id: 's3' }] as Awaited<
          ReturnType<CredentialServiceDeps['sessions']['listLive']>
        >,
    },
    sessionControl: {
      revokeSessions: async (_userId, ids, reason) => {
        revoked.push({ ids, reason });
        return ids.length;
      },
    },
    hasher,
    events,
    clock: () => T0,
  });
  return { credentials, users, revoked };
}

const claims = { userId: 'u1', sessionId: 's2', role: 'user', expiresAt: T0 } as AccessClaims;
const client = { ip: '192.0.2.1', userAgent: 'spec' };

describe('CredentialService', () => {
  it('changes the password, ends every other session and queues identity.password.changed', async () => {
    const { credentials, users, revoked } = setup({ passwordChangeRequired: true });
    const ended = await credentials.changePassword(claims, {
      currentPassword: 'right password 1',
      newPassword: 'A brand new passphrase 4',
      client,
    });
    expect(ended).toBe(2);
    expect(revoked).toEqual([{ ids: ['s1', 's3'], reason: 'password_changed' }]);
    expect(users.byId.get('u1')).toMatchObject({
      passwordHash: 'hash:A brand new passphrase 4',
      passwordChangeRequired: false,
    });
    expect(users.queued.map((e) => e.type)).toEqual(['identity.password.changed']);
  });

  it('refuses a wrong current password, a face-only account and a weak new password', async () => {
    await expect(
      setup().credentials.changePassword(claims, {
        currentPassword: 'wrong',
        newPassword: 'A brand new passphrase 4',
        client,
      }),
    ).rejects.toMatchObject({ reason: 'INVALID_CURRENT_PASSWORD' });
    await expect(
      setup({ passwordHash: null }).credentials.changePassword(claims, {
        currentPassword: 'x',
        newPassword: 'A brand new passphrase 4',
        client,
      }),
    ).rejects.toMatchObject({ reason: 'FACE_ONLY_ACCOUNT' });
    await expect(
      setup().credentials.changePassword(claims, {
        currentPassword: 'right password 1',
        newPassword: 'password',
        client,
      }),
    ).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('replaces a one-time password only with a new, different, acceptable one', async () => {
    const { credentials, users } = setup({ passwordChangeRequired: true });
    const user = users.byId.get('u1')!;
    await expect(
      credentials.replaceOneTimePassword(user, 'once', undefined, client, undefined),
    ).rejects.toMatchObject({
      reason: 'PASSWORD_CHANGE_REQUIRED',
    });
    await expect(
      credentials.replaceOneTimePassword(user, 'once 12345', 'once 12345', client, undefined),
    ).rejects.toMatchObject({
      reason: 'PASSWORD_REUSED',
    });
    await credentials.replaceOneTimePassword(user, 'once', 'Chosen by the master 7', client, undefined);
    expect(users.byId.get('u1')).toMatchObject({
      passwordHash: 'hash:Chosen by the master 7',
      passwordChangeRequired: false,
    });
  });
});
