import { describe, expect, it } from 'vitest';
import { CachedJwks } from './verifier.js';
import { KeyRing } from './keyring.js';
import {
  LIVENESS_ACTIONS,
  issueLivenessChallenge,
  randomActions,
  verifyLivenessChallenge,
} from './liveness.js';

describe('liveness challenges', () => {
  it('draws 2-3 actions, never one twice in a row, every action and length possible', () => {
    const seen = new Set<string>();
    const lengths = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const actions = randomActions();
      lengths.add(actions.length);
      actions.forEach((a, k) => {
        seen.add(a);
        if (k > 0) expect(a).not.toBe(actions[k - 1]);
      });
    }
    expect([...lengths].sort()).toEqual([2, 3]);
    expect([...seen].sort()).toEqual([...LIVENESS_ACTIONS].sort());
  });

  it('reads back only its own, unexpired, for the same purpose and client', async () => {
    const keys = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
    const other = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
    const jwks = new CachedJwks(async () => keys.publicJwks());
    const client = { ip: '192.0.2.1', userAgent: 'ua' };
    const { token, challenge } = await issueLivenessChallenge(keys, {
      purpose: 'enroll',
      userId: 'u1',
      client,
      ttlSec: 60,
    });
    await expect(verifyLivenessChallenge(jwks, token, { purpose: 'enroll', client })).resolves.toMatchObject({
      sessionId: challenge.sessionId,
      actions: challenge.actions,
      userId: 'u1',
    });
    await expect(verifyLivenessChallenge(jwks, token, { purpose: 'sign_in', client })).rejects.toMatchObject({
      reason: 'LIVENESS_MISMATCH',
    });
    await expect(
      verifyLivenessChallenge(jwks, token, { purpose: 'enroll', client: { ...client, userAgent: 'other' } }),
    ).rejects.toMatchObject({ reason: 'LIVENESS_MISMATCH' });
    const forged = await issueLivenessChallenge(other, {
      purpose: 'enroll',
      userId: 'u1',
      client,
      ttlSec: 60,
    });
    await expect(
      verifyLivenessChallenge(jwks, forged.token, { purpose: 'enroll', client }),
    ).rejects.toMatchObject({
      reason: 'LIVENESS_INVALID',
    });
    const expired = await keys.sign(
      { pur: 'enroll', act: ['blink', 'look_up'], idf: '', cli: 'x' },
      {
        issuer: 'guardian-identity',
        audience: 'guardian-liveness',
        subject: 'u1',
        expiresInSec: -60,
        jti: 's',
      },
    );
    await expect(verifyLivenessChallenge(jwks, expired, { purpose: 'enroll', client })).rejects.toMatchObject(
      {
        reason: 'LIVENESS_EXPIRED',
      },
    );
    await expect(verifyLivenessChallenge(jwks, '', { purpose: 'enroll', client })).rejects.toMatchObject({
      reason: 'LIVENESS_REQUIRED',
    });
  });
});
