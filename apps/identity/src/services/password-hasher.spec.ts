import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { Argon2idHasher, OWASP_ARGON2ID } from './password-hasher.js';

describe('Argon2idHasher', () => {
  const hasher = new Argon2idHasher();

  describe('hash', () => {
    it('produces an argon2id PHC string with the OWASP parameters', async () => {
      const hash = await hasher.hash('correct horse battery staple');
      expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(OWASP_ARGON2ID).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    });
    it('salts: the same password hashes differently', async () => {
      expect(await hasher.hash('same password')).not.toBe(await hasher.hash('same password'));
    });
  });

  describe('verify', () => {
    it('accepts the right password and refuses a wrong one', async () => {
      const hash = await hasher.hash('correct horse battery staple');
      expect(await hasher.verify(hash, 'correct horse battery staple')).toBe(true);
      expect(await hasher.verify(hash, 'correct horse battery stapler')).toBe(false);
    });
    it('verifies NFKC-equivalent spellings alike', async () => {
      const hash = await hasher.hash('ﬁnal password'); // U+FB01 ligature
      expect(await hasher.verify(hash, 'final password')).toBe(true);
    });
    it('returns false for a malformed stored hash', async () => {
      expect(await hasher.verify('not-a-hash', 'whatever')).toBe(false);
    });
  });

  describe('needsRehash', () => {
    it('is false for a hash with the current parameters', async () => {
      expect(hasher.needsRehash(await hasher.hash('x-password'))).toBe(false);
    });
    it('is true for weaker parameters or another variant', async () => {
      const weaker = await argon2.hash('x-password', {
        type: argon2.argon2id,
        memoryCost: 8192,
        timeCost: 1,
        parallelism: 1,
      });
      const argon2i = await argon2.hash('x-password', { type: argon2.argon2i, ...OWASP_ARGON2ID });
      expect(hasher.needsRehash(weaker)).toBe(true);
      expect(hasher.needsRehash(argon2i)).toBe(true);
      expect(hasher.needsRehash('$2b$10$abcdefghijklmnopqrstuv')).toBe(true);
    });
  });

  describe('verifyUnknownUser', () => {
    it('always answers false after doing a full verification', async () => {
      expect(await hasher.verifyUnknownUser('anything at all')).toBe(false);
      expect(await hasher.verifyUnknownUser('anything at all')).toBe(false);
    });
  });
});
