import { describe, expect, it } from 'vitest';
import { normalizeAddress, normalizeBio, normalizeBirthDate, normalizePhone } from './profile.js';

const now = new Date('2026-06-15T10:00:00Z');
const reasonOf = (fn: () => unknown) => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { reason: string }).reason;
  }
};

describe('profile', () => {
  describe('normalizeBirthDate', () => {
    it('accepts past ISO dates and today, clears on empty', () => {
      expect(normalizeBirthDate('1990-02-28', now)).toBe('1990-02-28');
      expect(normalizeBirthDate('2026-06-15', now)).toBe('2026-06-15');
      expect(normalizeBirthDate('', now)).toBe('');
    });
    it('rejects future dates with BIRTH_DATE_IN_FUTURE', () => {
      expect(reasonOf(() => normalizeBirthDate('2026-06-16', now))).toBe('BIRTH_DATE_IN_FUTURE');
    });
    it.each(['1990-02-30', '15/06/1990', '1990-2-3', '1899-12-31', 'yesterday'])(
      'rejects %j with INVALID_BIRTH_DATE',
      (d) => {
        expect(reasonOf(() => normalizeBirthDate(d, now))).toBe('INVALID_BIRTH_DATE');
      },
    );
  });
  describe('normalizeBio', () => {
    it('limits the bio to 500 characters', () => {
      expect(normalizeBio('x'.repeat(500))).toHaveLength(500);
      expect(reasonOf(() => normalizeBio('x'.repeat(501)))).toBe('BIO_TOO_LONG');
    });
  });
  describe('normalizePhone / normalizeAddress', () => {
    it('accepts usual phone spellings and rejects letters', () => {
      expect(normalizePhone('+55 (11) 91234-5678')).toBe('+55 (11) 91234-5678');
      expect(reasonOf(() => normalizePhone('call me'))).toBe('INVALID_PHONE');
    });
    it('limits the address', () => {
      expect(reasonOf(() => normalizeAddress('a'.repeat(301)))).toBe('INVALID_ADDRESS');
    });
  });
});
