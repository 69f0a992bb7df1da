import { describe, expect, it } from 'vitest';
import { DomainError } from '@guardian/domain';
import { assertPasswordAcceptable, findPasswordViolation, loadCommonPasswords } from './password-policy.js';

const weak = (password: string, context = {}) => {
  try {
    assertPasswordAcceptable(password, context);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const e = error as DomainError;
    expect(e.reason).toBe('WEAK_PASSWORD');
    expect(e.kind).toBe('invalid');
    return e.metadata.rule;
  }
  return undefined;
};

describe('password policy', () => {
  describe('loadCommonPasswords', () => {
    it('ships a few thousand lower-case entries of 8+ characters', () => {
      const list = loadCommonPasswords();
      expect(list.size).toBeGreaterThan(3000);
      expect(list.has('password')).toBe(true);
      expect(list.has('12345678')).toBe(true);
      expect(list.has('senha123')).toBe(true);
      for (const entry of list) expect(entry).toBe(entry.toLowerCase());
    });
  });

  describe('assertPasswordAcceptable', () => {
    it('accepts a long unusual passphrase', () => {
      expect(weak('correct horse battery staple')).toBeUndefined();
    });
    it('accepts exactly 8 and exactly 128 characters', () => {
      expect(weak('kX9#vq2L')).toBeUndefined();
      expect(weak('ab'.repeat(64))).toBeUndefined();
    });
    it('rejects 7 characters with rule too_short', () => {
      expect(weak('kX9#vq2')).toBe('too_short');
    });
    it('rejects 129 characters with rule too_long', () => {
      expect(weak('ab'.repeat(64) + 'c')).toBe('too_long');
    });
    it('counts code points, not UTF-16 units', () => {
      expect(findPasswordViolation('😀😀😀😀😀😀😀')).toBe('too_short'); // 7 emoji = 14 UTF-16 units
      expect(findPasswordViolation('😀😀😀😀a😀😀😀')).toBeUndefined();
    });
    it('rejects common passwords case-insensitively with rule common_password', () => {
      expect(weak('Password1')).toBe('common_password');
      expect(weak('QWERTY123')).toBe('common_password');
      expect(weak('Flamengo123')).toBe('common_password');
    });
    it('rejects a single repeated character', () => {
      expect(weak('§§§§§§§§§')).toBe('repeated_character');
    });
    it('rejects the username and the e-mail', () => {
      expect(weak('Maria.Souza77', { username: 'maria.souza77' })).toBe('matches_username');
      expect(weak('maria.s@example.org', { email: 'Maria.S@example.org' })).toBe('matches_email');
      expect(weak('mariasouza', { email: 'mariasouza@example.org' })).toBe('matches_email');
    });
  });
});
