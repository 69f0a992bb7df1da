import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, client, newUser, rejection, startIdentity } from './harness.js';

describe('AuthService.Register', () => {
  let h: IdentityHarness;
  beforeAll(async () => {
    h = await startIdentity();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('creates an active user account and publishes identity.user.registered once', async () => {
    const input = newUser({ locale: 'pt-BR', username: `Maria.${Date.now().toString(36)}` });
    const { user } = await h.auth.register({ ...input, client: client() });
    expect(user).toMatchObject({
      username: input.username,
      email: input.email,
      fullName: input.fullName,
      locale: 'pt-BR',
      role: 'user',
      status: 'active',
      registrationKind: 'password',
    });
    const [event, ...rest] = await h.tap.expect('identity.user.registered', user!.id);
    expect(rest).toHaveLength(0);
    expect(event!.data).toEqual({
      userId: user!.id,
      username: input.username,
      email: input.email,
      fullName: input.fullName,
      locale: 'pt-BR',
      role: 'user',
      registrationKind: 'password',
    });
  });

  it('rejects a taken username and e-mail case-insensitively', async () => {
    const input = newUser();
    await h.auth.register({ ...input, client: client() });
    expect(
      (
        await rejection(
          h.auth.register({ ...newUser(), username: input.username.toUpperCase(), client: client() }),
        )
      ).reason,
    ).toBe('USERNAME_TAKEN');
    expect(
      (await rejection(h.auth.register({ ...newUser(), email: input.email.toUpperCase(), client: client() })))
        .reason,
    ).toBe('EMAIL_TAKEN');
  });

  it.each([
    ['INVALID_USERNAME', { username: 'ab' }],
    ['INVALID_USERNAME', { username: 'has space' }],
    ['INVALID_USERNAME', { username: 'x'.repeat(33) }],
    ['INVALID_EMAIL', { email: 'not-an-email' }],
    ['INVALID_FULL_NAME', { fullName: '   ' }],
    ['INVALID_LOCALE', { locale: 'fr' }],
  ])('rejects bad input with %s', async (reason, override) => {
    const error = await rejection(h.auth.register({ ...newUser(), ...override, client: client() }));
    expect(error).toMatchObject({ reason, kind: 'invalid' });
  });

  it.each([
    ['too_short', () => ({ password: 'Ab1!xyz' })],
    ['too_long', () => ({ password: 'a'.repeat(129) })],
    ['common_password', () => ({ password: 'Password123' })],
    ['matches_username', () => ({ username: 'jose.da.silva.99', password: 'JOSE.DA.SILVA.99' })],
    [
      'matches_email',
      () => ({ email: 'ana.maria.costa@example.com', password: 'ana.maria.costa@example.com' }),
    ],
  ])('rejects a weak password with WEAK_PASSWORD { rule: %s }', async (rule, override) => {
    const error = await rejection(h.auth.register({ ...newUser(), ...override(), client: client() }));
    expect(error).toMatchObject({ reason: 'WEAK_PASSWORD', kind: 'invalid', metadata: { rule } });
  });
});
