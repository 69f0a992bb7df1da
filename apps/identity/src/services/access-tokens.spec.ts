import { KeyRing } from '@guardian/auth';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { AccessTokens } from './access-tokens.js';

describe('AccessTokens', () => {
  describe('issue / verify', () => {
    it('signs an EdDSA JWT with kid, sub, sid, role and auth_time that verifies', async () => {
      const ring = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
      const tokens = new AccessTokens(ring);
      const authTime = new Date('2026-12-01T10:00:00Z');
      const { token, expiresAt } = await tokens.issue({
        userId: 'u1',
        sessionId: 's1',
        role: 'admin',
        authTime,
      });
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', kid: ring.currentKid });
      const claims = await tokens.verify(token);
      expect(claims).toMatchObject({ userId: 'u1', sessionId: 's1', role: 'admin', authTime });
      expect(claims.expiresAt.getTime()).toBe(expiresAt.getTime());
    });
    it('still verifies tokens of a key rotated to second place, and refuses foreign keys', async () => {
      const oldKey = await KeyRing.generatePrivateJwk();
      const newKey = await KeyRing.generatePrivateJwk();
      const before = new AccessTokens(await KeyRing.fromJwks([oldKey]));
      const after = new AccessTokens(await KeyRing.fromJwks([newKey, oldKey]));
      const { token } = await before.issue({
        userId: 'u1',
        sessionId: 's1',
        role: 'user',
        authTime: new Date(),
      });
      await expect(after.verify(token)).resolves.toMatchObject({ userId: 'u1' });
      const foreign = new AccessTokens(await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]));
      await expect(foreign.verify(token)).rejects.toMatchObject({ reason: 'INVALID_TOKEN' });
    });
    it('reports expiry as TOKEN_EXPIRED', async () => {
      const ring = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
      const { token } = await new AccessTokens(ring, -60).issue({
        userId: 'u1',
        sessionId: 's1',
        role: 'user',
        authTime: new Date(),
      });
      await expect(new AccessTokens(ring).verify(token)).rejects.toMatchObject({ reason: 'TOKEN_EXPIRED' });
    });
  });
});
