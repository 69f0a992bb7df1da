import { Writable } from 'node:stream';
import { createLogger } from '@guardian/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, client, newUser, rejection, startIdentity } from './harness.js';

describe('UserService profile', () => {
  let h: IdentityHarness;
  let token: string;
  let userId: string;
  beforeAll(async () => {
    h = await startIdentity();
    const input = newUser();
    userId = (await h.auth.register({ ...input, client: client() })).user!.id;
    token = (
      await h.auth.login({ identifier: input.email, password: input.password, client: client('192.0.2.30') })
    ).tokens!.accessToken;
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('updates own profile fields and publishes identity.user.updated naming them', async () => {
    const { user } = await h.users.updateProfile(
      {
        fullName: 'Maria  da   Silva',
        locale: 'pt-BR',
        phone: '+55 11 91234-5678',
        address: 'Rua das Flores, 10',
        birthDate: '1990-05-17',
        bio: 'Olá!',
      },
      { accessToken: token },
    );
    expect(user).toMatchObject({
      fullName: 'Maria da Silva',
      locale: 'pt-BR',
      profile: {
        phone: '+55 11 91234-5678',
        address: 'Rua das Flores, 10',
        birthDate: '1990-05-17',
        bio: 'Olá!',
      },
    });
    const [event] = await h.tap.expect('identity.user.updated', userId);
    expect(event!.data).toMatchObject({ userId, fullName: 'Maria da Silva', locale: 'pt-BR' });
    expect([...event!.data.changedFields].sort()).toEqual([
      'address',
      'bio',
      'birth_date',
      'full_name',
      'locale',
      'phone',
    ]);
    expect((await h.users.getProfile({}, { accessToken: token })).user!.profile!.birthDate).toBe(
      '1990-05-17',
    );
  });

  it.each([
    ['BIRTH_DATE_IN_FUTURE', { birthDate: '2999-01-01' }],
    ['INVALID_BIRTH_DATE', { birthDate: '17/05/1990' }],
    ['BIO_TOO_LONG', { bio: 'x'.repeat(501) }],
    ['INVALID_PHONE', { phone: 'call me maybe' }],
    ['INVALID_LOCALE', { locale: 'de' }],
    ['INVALID_FULL_NAME', { fullName: ' ' }],
  ])('rejects bad profile input with %s', async (reason, input) => {
    expect(await rejection(h.users.updateProfile(input, { accessToken: token }))).toMatchObject({
      kind: 'invalid',
      reason,
    });
  });
});

describe('bootstrap master', () => {
  it('creates the first master with a random one-time password printed once to the log (no admin/admin)', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger('identity', { level: 'info', destination: sink });
    const h = await startIdentity(
      {
        IDENTITY_BOOTSTRAP_MASTER_USERNAME: '',
        IDENTITY_BOOTSTRAP_MASTER_EMAIL: '',
        IDENTITY_BOOTSTRAP_MASTER_PASSWORD: '',
      },
      { logger },
    );
    try {
      const announcements = lines.filter((l) => l.includes('bootstrap master account created'));
      expect(announcements).toHaveLength(1);
      const password = /one-time password \\"([^"\\]+)\\"/.exec(announcements[0]!)?.[1];
      expect(password).toBeDefined();
      expect(
        (
          await rejection(
            h.auth.login({ identifier: 'admin', password: 'admin', client: client('192.0.2.31') }),
          )
        ).reason,
      ).toBe('INVALID_CREDENTIALS');
      const { user } = await h.auth.login({
        identifier: 'master',
        password: password!,
        client: client('192.0.2.31'),
      });
      expect(user).toMatchObject({ username: 'master', role: 'master' });
    } finally {
      await h.stop();
    }
  });
});
