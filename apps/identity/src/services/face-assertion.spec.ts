import { randomUUID } from 'node:crypto';
import { CachedJwks, DEFAULT_CLOCK_TOLERANCE_SEC, KeyRing } from '@guardian/auth';
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
  it('keeps a used jti until the verifier stops accepting the token: a sweep at exp cannot reopen a replay', async () => {
    const { jwks, sign } = await setup();
    // A used-assertion store that forgets entries past their expiry, as UsedAssertionRepository.sweep does.
    const used = new Map<string, Date>();
    const claim = async (jti: string, until: Date) => (used.has(jti) ? false : (used.set(jti, until), true));
    const sweep = (now: Date) => {
      for (const [jti, until] of used) if (until < now) used.delete(jti);
    };
    const token = await sign({ expiresInSec: 60 });
    const first = await verifyFaceAssertion(token, jwks, rules, claim);
    // The verifier accepts the token up to exp + its clock tolerance; sweep just before that.
    const lastAccepted = new Date(first.expiresAt.getTime() + DEFAULT_CLOCK_TOLERANCE_SEC * 1000);
    sweep(lastAccepted);
    expect(await reasonOf(verifyFaceAssertion(token, jwks, rules, claim))).toBe('FACE_ASSERTION_REUSED');
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
