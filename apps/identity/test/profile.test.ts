import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  it('creates the first master with a random one-time password kept in a 0600 file, which opens no session until replaced (no admin/admin)', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger('identity', { level: 'info', destination: sink });
    const file = join(mkdtempSync(join(tmpdir(), 'identity-otp-')), 'nested', 'master-otp.txt');
    const h = await startIdentity(
      {
        IDENTITY_BOOTSTRAP_MASTER_USERNAME: '',
        IDENTITY_BOOTSTRAP_MASTER_EMAIL: '',
        IDENTITY_BOOTSTRAP_MASTER_PASSWORD: '',
        IDENTITY_BOOTSTRAP_PASSWORD_FILE: file,
      },
      { logger },
    );
    try {
      const announcements = lines.filter((l) => l.includes('bootstrap master account created'));
      expect(announcements).toHaveLength(1);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = /one-time password: (\S+)/.exec(readFileSync(file, 'utf8'))?.[1];
      expect(password).toBeDefined();
      // The log (which a restart rewrites and operators ship elsewhere) never holds the password.
      expect(lines.join('\n')).not.toContain(password!);
      expect(
        (
          await rejection(
            h.auth.login({ identifier: 'admin', password: 'admin', client: client('192.0.2.31') }),
          )
        ).reason,
      ).toBe('INVALID_CREDENTIALS');
      // The one-time password opens no session until it is replaced.
      const once = await rejection(
        h.auth.login({ identifier: 'master', password: password!, client: client('192.0.2.31') }),
      );
      expect(once).toMatchObject({ kind: 'forbidden', reason: 'PASSWORD_CHANGE_REQUIRED' });
      expect(
        (
          await rejection(
            h.auth.loginWithNewPassword({
              identifier: 'master',
              password: password!,
              newPassword: password!,
              client: client('192.0.2.31'),
            }),
          )
        ).reason,
      ).toBe('PASSWORD_REUSED');
      const chosen = 'A master passphrase of my own 7';
      const { user, tokens } = await h.auth.loginWithNewPassword({
        identifier: 'master',
        password: password!,
        newPassword: chosen,
        client: client('192.0.2.31'),
      });
      expect(user).toMatchObject({ username: 'master', role: 'master' });
      expect(tokens!.accessToken).toBeTruthy();
      expect(
        (
          await rejection(
            h.auth.login({ identifier: 'master', password: password!, client: client('192.0.2.32') }),
          )
        ).reason,
      ).toBe('INVALID_CREDENTIALS');
      const again = await h.auth.login({
        identifier: 'master',
        password: chosen,
        client: client('192.0.2.32'),
      });
      expect(again.user!.id).toBe(user!.id);
    } finally {
      await h.stop();
    }
  });
});
