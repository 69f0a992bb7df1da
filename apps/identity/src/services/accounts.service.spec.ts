import { describe, expect, it } from 'vitest';
import type { UserRepository } from '../repositories/user.repository.js';
import { AccountService } from './accounts.service.js';
import { events, fakeHasher, fakeUser, fakeUsers, T0 } from './service-fakes.js';

function setup() {
  const users = fakeUsers([fakeUser()]);
  const { hasher, calls } = fakeHasher();
  const accounts = new AccountService({
    users: users.repo as unknown as UserRepository,
    hasher,
    tokens: { issueEnrollment: async (userId) => ({ token: `enroll:${userId}`, expiresAt: T0 }) },
    events,
    clock: () => T0,
  });
  return { accounts, users, calls };
}

describe('AccountService', () => {
  it('registers a normalized password account with identity.user.registered queued on it', async () => {
    const { accounts, users } = setup();
    const user = await accounts.register({
      username: 'Bruno',
      email: ' Bruno@Example.COM ',
      password: 'A long unusual passphrase 9',
      fullName: '  Bruno  Silva ',
      locale: 'pt-BR',
    });
    expect(user).toMatchObject({
      username: 'Bruno',
      usernameLower: 'bruno',
      email: 'bruno@example.com',
      role: 'user',
    });
    expect(users.byId.get(user._id)!.passwordHash).toBe('hash:A long unusual passphrase 9');
    expect(users.queued.map((e) => e.type)).toEqual(['identity.user.registered']);
  });

  it('refuses a taken username or e-mail, and a weak password before hashing anything', async () => {
    const { accounts, calls } = setup();
    const base = { password: 'A long unusual passphrase 9', fullName: 'X', locale: 'en' };
    await expect(
      accounts.register({ ...base, username: 'ANA', email: 'x@example.com' }),
    ).rejects.toMatchObject({
      reason: 'USERNAME_TAKEN',
    });
    await expect(
      accounts.register({ ...base, username: 'carla', email: 'ana@example.com' }),
    ).rejects.toMatchObject({
      reason: 'EMAIL_TAKEN',
    });
    await expect(
      accounts.register({ ...base, username: 'carla', email: 'carla@example.com', password: 'password' }),
    ).rejects.toMatchObject({ kind: 'invalid' });
    expect(calls).toEqual([]);
  });

  it('registers a face-only account pending its face, named after the e-mail, with an enrollment token', async () => {
    const { accounts } = setup();
    const { user, enrollment } = await accounts.registerFaceOnly({
      username: '',
      email: 'ana@example.org',
      fullName: 'Ana Face',
      locale: 'en',
    });
    // "ana" is taken: a suffix keeps the name unique.
    expect(user.username).toMatch(/^ana-[0-9a-f]{6}$/);
    expect(user).toMatchObject({
      status: 'pending_enrollment',
      registrationKind: 'face_only',
      passwordHash: null,
    });
    expect(enrollment.token).toBe(`enroll:${user._id}`);
  });
});
