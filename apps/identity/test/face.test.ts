import { randomUUID } from 'node:crypto';
import { waitFor } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, MASTER, client, newUser, rejection, startIdentity } from './harness.js';

describe('face-only accounts and LoginWithFaceAssertion', () => {
  let h: IdentityHarness;
  beforeAll(async () => {
    h = await startIdentity();
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** An assertion as biometrics would sign it, with the key its FaceService.GetJwks serves. */
  const assertion = (
    userId: string,
    overrides: Partial<{ issuer: string; audience: string; expiresInSec: number; jti: string }> = {},
  ) =>
    h.biometrics.keys.sign(
      { confidence: 0.97 },
      {
        issuer: 'guardian-biometrics',
        audience: 'guardian-identity',
        subject: userId,
        expiresInSec: 60,
        jti: randomUUID(),
        ...overrides,
      },
    );

  async function enroll(userId: string) {
    await h.bus.publish(
      'biometric.enrolled',
      { userId, modelId: 'face-api-128', sampleCount: 3, updated: false, possibleDuplicateOf: [] },
      { subject: userId },
    );
  }

  it('registers a face-only account as pending_enrollment and activates it on biometric.enrolled', async () => {
    const input = newUser();
    const { user, enrollmentToken, enrollmentTokenExpiresAt } = await h.auth.registerFaceOnly({
      fullName: input.fullName,
      email: input.email,
      username: '',
      locale: 'es',
      client: client(),
    });
    // The enrollment token names the account, lives ~15 min and is no access token.
    const claims = JSON.parse(Buffer.from(enrollmentToken.split('.')[1]!, 'base64url').toString()) as {
      sub: string;
      aud: string;
    };
    expect(claims).toMatchObject({ sub: user!.id, aud: 'guardian-enrollment' });
    expect(enrollmentTokenExpiresAt!.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    expect((await rejection(h.users.getProfile({}, { accessToken: enrollmentToken }))).reason).toBe(
      'INVALID_TOKEN',
    );
    expect(user).toMatchObject({
      status: 'pending_enrollment',
      registrationKind: 'face_only',
      faceEnrolled: false,
      locale: 'es',
    });
    expect(user!.username).toMatch(/^user\./);
    const [registered] = await h.tap.expect('identity.user.registered', user!.id);
    expect(registered!.data.registrationKind).toBe('face_only');

    // No password: a password login fails like any wrong password.
    expect(
      (
        await rejection(
          h.auth.login({
            identifier: input.email,
            password: 'Long unusual passphrase',
            client: client('198.51.100.70'),
          }),
        )
      ).reason,
    ).toBe('INVALID_CREDENTIALS');
    // Before enrollment, a (valid) face assertion cannot open a session.
    expect(
      (
        await rejection(
          h.auth.loginWithFaceAssertion({ assertion: await assertion(user!.id), client: client() }),
        )
      ).reason,
    ).toBe('ENROLLMENT_PENDING');

    await enroll(user!.id);
    const [activated] = await h.tap.expect('identity.user.updated', user!.id);
    expect(activated!.data).toMatchObject({ userId: user!.id, status: 'active', changedFields: ['status'] });
    const master = await h.auth.login({
      identifier: 'root-master',
      password: 'Master passphrase for tests 1',
      client: client('192.0.2.9'),
    });
    const fetched = await waitFor(async () => {
      const { user: u } = await h.users.getUser(
        { userId: user!.id },
        { accessToken: master.tokens!.accessToken },
      );
      return u!.status === 'active' && u!.faceEnrolled ? u : undefined;
    });
    expect(fetched).toMatchObject({ status: 'active', faceEnrolled: true });

    const login = await h.auth.loginWithFaceAssertion({
      assertion: await assertion(user!.id),
      client: client('198.51.100.71', 'kiosk'),
    });
    expect(login.user!.id).toBe(user!.id);
    const { sessions } = await h.auth.listSessions(
      { userId: '' },
      { accessToken: login.tokens!.accessToken },
    );
    expect(sessions[0]).toMatchObject({ method: 'face', ip: '198.51.100.71', userAgent: 'kiosk' });
    const [succeeded] = await h.tap.expect('identity.login.succeeded', user!.id);
    expect(succeeded!.data).toMatchObject({
      userId: user!.id,
      method: 'face',
      sessionId: login.tokens!.sessionId,
      client: { ip: '198.51.100.71', userAgent: 'kiosk' },
    });
  });

  it("refuses to open an admin's or the master's session from a face alone (face-only sign-in is for users)", async () => {
    const master = await h.auth.login({
      identifier: MASTER.username,
      password: MASTER.password,
      client: client('198.51.100.80'),
    });
    const a = newUser();
    const { user: admin } = await h.users.createUser(
      { ...a, role: 'admin' },
      { accessToken: master.tokens!.accessToken },
    );
    for (const id of [admin!.id, master.user!.id]) {
      const error = await rejection(
        h.auth.loginWithFaceAssertion({ assertion: await assertion(id), client: client('198.51.100.81') }),
      );
      expect(error).toMatchObject({ kind: 'forbidden', reason: 'FACE_LOGIN_NOT_ALLOWED' });
    }
    // Their passwords still work; a user's face still does.
    await h.auth.login({ identifier: a.username, password: a.password, client: client('198.51.100.80') });
    const u = newUser();
    const { user } = await h.auth.register({ ...u, client: client() });
    const ok = await h.auth.loginWithFaceAssertion({
      assertion: await assertion(user!.id),
      client: client(),
    });
    expect(ok.tokens?.accessToken).toBeTruthy();
  });

  it('accepts an assertion once (jti single use) and rejects wrong issuer, audience, lifetime, expiry and foreign keys', async () => {
    const input = newUser();
    const { user } = await h.auth.register({ ...input, client: client() });
    const id = user!.id;
    const token = await assertion(id);
    await h.auth.loginWithFaceAssertion({ assertion: token, client: client('198.51.100.72') });
    expect(
      (await rejection(h.auth.loginWithFaceAssertion({ assertion: token, client: client('198.51.100.72') })))
        .reason,
    ).toBe('FACE_ASSERTION_REUSED');

    const cases: Array<[string, Promise<string>]> = [
      ['signature_or_claims', assertion(id, { issuer: 'someone-else' })],
      ['signature_or_claims', assertion(id, { audience: 'guardian' })],
      ['lifetime_too_long', assertion(id, { expiresInSec: 3600 })],
      ['expired', assertion(id, { expiresInSec: -60 })],
      ['malformed', Promise.resolve('not.a-jwt')],
    ];
    for (const [rule, pending] of cases) {
      const error = await rejection(
        h.auth.loginWithFaceAssertion({ assertion: await pending, client: client('198.51.100.73') }),
      );
      expect(error).toMatchObject({
        kind: 'unauthenticated',
        reason: 'INVALID_FACE_ASSERTION',
        metadata: { rule },
      });
    }
    const { KeyRing } = await import('@guardian/auth');
    const intruder = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
    const forged = await intruder.sign(
      {},
      {
        issuer: 'guardian-biometrics',
        audience: 'guardian-identity',
        subject: id,
        expiresInSec: 60,
        jti: randomUUID(),
      },
    );
    expect(
      await rejection(h.auth.loginWithFaceAssertion({ assertion: forged, client: client('198.51.100.73') })),
    ).toMatchObject({ reason: 'INVALID_FACE_ASSERTION' });
    // A well-signed assertion for a user that does not exist.
    expect(
      (
        await rejection(
          h.auth.loginWithFaceAssertion({
            assertion: await assertion(randomUUID()),
            client: client('198.51.100.74'),
          }),
        )
      ).reason,
    ).toBe('INVALID_FACE_ASSERTION');
  });

  it('keeps the biometric summary from biometric.enrolled and biometric.removed', async () => {
    const { user } = await h.auth.register({ ...newUser(), client: client() });
    const master = await h.auth.login({
      identifier: 'root-master',
      password: 'Master passphrase for tests 1',
      client: client('192.0.2.9'),
    });
    const call = { accessToken: master.tokens!.accessToken };
    await enroll(user!.id);
    await waitFor(async () => (await h.users.getUser({ userId: user!.id }, call)).user!.faceEnrolled);
    await h.bus.publish(
      'biometric.removed',
      { userId: user!.id, reason: 'user_request' },
      { subject: user!.id },
    );
    await waitFor(async () => !(await h.users.getUser({ userId: user!.id }, call)).user!.faceEnrolled);
    const status = await h.verification.getStatus({ userId: user!.id }, call);
    expect(status.status!.biometric).toMatchObject({ enrolled: false });
  });
});
