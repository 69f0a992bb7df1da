import { randomUUID } from 'node:crypto';
import { CachedJwks, KeyRing } from '@guardian/auth';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FACE_ASSERTION_RULES,
  type FaceAssertionRules,
  verifyFaceAssertion,
} from './face-assertion.js';

const rules: FaceAssertionRules = { ...DEFAULT_FACE_ASSERTION_RULES };

async function setup() {
  const biometrics = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
  const jwks = new CachedJwks(async () => biometrics.publicJwks());
  const seen = new Set<string>();
  const claimJti = async (jti: string) => (seen.has(jti) ? false : (seen.add(jti), true));
  const sign = (
    overrides: Partial<{
      issuer: string;
      audience: string;
      subject: string;
      expiresInSec: number;
      jti: string;
    }> = {},
  ) =>
    biometrics.sign(
      {},
      {
        issuer: rules.issuer,
        audience: rules.audience,
        subject: 'user-1',
        expiresInSec: 60,
        jti: randomUUID(),
        ...overrides,
      },
    );
  return { biometrics, jwks, claimJti, sign };
}

const reasonOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return `${(e as { reason: string }).reason}${(e as { metadata?: { rule?: string } }).metadata?.rule ? `:${(e as { metadata: { rule: string } }).metadata.rule}` : ''}`;
  }
  return 'accepted';
};

describe('verifyFaceAssertion', () => {
  it('accepts a fresh assertion once and returns the user id', async () => {
    const { jwks, claimJti, sign } = await setup();
    const token = await sign({ jti: 'j-1' });
    await expect(verifyFaceAssertion(token, jwks, rules, claimJti)).resolves.toMatchObject({
      userId: 'user-1',
      jti: 'j-1',
    });
  });
  it('refuses a replayed jti with FACE_ASSERTION_REUSED', async () => {
    const { jwks, claimJti, sign } = await setup();
    const token = await sign();
    await verifyFaceAssertion(token, jwks, rules, claimJti);
    expect(await reasonOf(verifyFaceAssertion(token, jwks, rules, claimJti))).toBe('FACE_ASSERTION_REUSED');
  });
  it('refuses a wrong issuer or audience', async () => {
    const { jwks, claimJti, sign } = await setup();
    expect(
      await reasonOf(verifyFaceAssertion(await sign({ issuer: 'someone-else' }), jwks, rules, claimJti)),
    ).toBe('INVALID_FACE_ASSERTION:signature_or_claims');
    expect(
      await reasonOf(verifyFaceAssertion(await sign({ audience: 'guardian' }), jwks, rules, claimJti)),
    ).toBe('INVALID_FACE_ASSERTION:signature_or_claims');
  });
  it('refuses an expired assertion and one with too long a lifetime', async () => {
    const { jwks, claimJti, sign } = await setup();
    expect(
      await reasonOf(verifyFaceAssertion(await sign({ expiresInSec: -30 }), jwks, rules, claimJti)),
    ).toBe('INVALID_FACE_ASSERTION:expired');
    expect(
      await reasonOf(verifyFaceAssertion(await sign({ expiresInSec: 3600 }), jwks, rules, claimJti)),
    ).toBe('INVALID_FACE_ASSERTION:lifetime_too_long');
  });
  it('refuses an assertion signed by another key', async () => {
    const { jwks, claimJti } = await setup();
    const intruder = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
    const forged = await intruder.sign(
      {},
      { issuer: rules.issuer, audience: rules.audience, subject: 'user-1', expiresInSec: 60, jti: 'x' },
    );
    expect(await reasonOf(verifyFaceAssertion(forged, jwks, rules, claimJti))).toBe(
      'INVALID_FACE_ASSERTION:signature_or_claims',
    );
  });
  it('refuses an assertion without jti, and garbage', async () => {
    const { biometrics, jwks, claimJti } = await setup();
    const noJti = await biometrics.sign(
      {},
      { issuer: rules.issuer, audience: rules.audience, subject: 'user-1', expiresInSec: 60 },
    );
    expect(await reasonOf(verifyFaceAssertion(noJti, jwks, rules, claimJti))).toBe(
      'INVALID_FACE_ASSERTION:missing_jti',
    );
    expect(await reasonOf(verifyFaceAssertion('not-a-jwt', jwks, rules, claimJti))).toBe(
      'INVALID_FACE_ASSERTION:malformed',
    );
  });
});
