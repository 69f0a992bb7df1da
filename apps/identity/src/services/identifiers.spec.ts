import { describe, expect, it } from 'vitest';
import { DomainError } from '@guardian/domain';
import {
  identifierKind,
  isValidEmail,
  normalizeEmail,
  normalizeFullName,
  normalizeLocale,
  normalizeUsername,
} from './identifiers.js';

const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).reason;
  }
  return undefined;
};

describe('identifiers', () => {
  describe('normalizeUsername', () => {
    it('accepts letters, digits, _ . - from 3 to 32 characters', () => {
      expect(normalizeUsername(' Maria_S.o-1 ')).toBe('Maria_S.o-1');
      expect(normalizeUsername('abc')).toBe('abc');
      expect(normalizeUsername('a'.repeat(32))).toBe('a'.repeat(32));
    });
    it.each(['ab', 'a'.repeat(33), 'maria souza', 'maria@x', 'joão', ''])(
      'rejects %j with INVALID_USERNAME',
      (u) => {
        expect(reasonOf(() => normalizeUsername(u))).toBe('INVALID_USERNAME');
      },
    );
  });

  describe('normalizeEmail', () => {
    it('lower-cases and trims valid addresses', () => {
      expect(normalizeEmail('  Maria.Souza+tag@Example.COM ')).toBe('maria.souza+tag@example.com');
    });
    it.each([
      'maria',
      'maria@',
      '@example.com',
      'maria@example',
      'ma..ria@example.com',
      'maria@ex_ample.com',
      'a@b@example.com',
      'maria@example.123',
      `${'a'.repeat(65)}@example.com`,
    ])('rejects %j with INVALID_EMAIL', (e) => {
      expect(isValidEmail(e)).toBe(false);
      expect(reasonOf(() => normalizeEmail(e))).toBe('INVALID_EMAIL');
    });
  });

  describe('normalizeFullName', () => {
    it('collapses whitespace', () => {
      expect(normalizeFullName('  Maria   Souza ')).toBe('Maria Souza');
    });
    it('rejects empty and over-long names', () => {
      expect(reasonOf(() => normalizeFullName('   '))).toBe('INVALID_FULL_NAME');
      expect(reasonOf(() => normalizeFullName('x'.repeat(121)))).toBe('INVALID_FULL_NAME');
    });
  });

  describe('normalizeLocale', () => {
    it('defaults to en and matches case-insensitively', () => {
      expect(normalizeLocale(undefined)).toBe('en');
      expect(normalizeLocale('pt-br')).toBe('pt-BR');
      expect(normalizeLocale('es')).toBe('es');
    });
    it('rejects unknown locales', () => {
      expect(reasonOf(() => normalizeLocale('fr'))).toBe('INVALID_LOCALE');
    });
  });

  describe('identifierKind', () => {
    it('treats identifiers with @ as e-mail', () => {
      expect(identifierKind('a@b.co')).toBe('email');
      expect(identifierKind('maria')).toBe('username');
    });
  });
});
