import { invalid } from '@guardian/domain';

/**
 * Profile fields: phone (digits with optional +, spaces, dashes, dots, parentheses; 5..20 characters),
 * address (at most 300 characters), birth date (ISO YYYY-MM-DD, a real calendar date, not in the
 * future, not before 1900-01-01), bio (at most 500 characters). Empty strings clear a field.
 */
export const BIO_MAX = 500;
export const ADDRESS_MAX = 300;
const PHONE = /^\+?[0-9 ().-]{5,20}$/;

export function normalizePhone(phone: string): string {
  const value = phone.trim();
  if (value === '') return '';
  if (!PHONE.test(value) || (value.match(/[0-9]/g) ?? []).length < 5)
    throw invalid('INVALID_PHONE', 'Phone number is not valid.');
  return value;
}

export function normalizeAddress(address: string): string {
  const value = address.trim();
  if ([...value].length > ADDRESS_MAX)
    throw invalid('INVALID_ADDRESS', `Address must have at most ${ADDRESS_MAX} characters.`);
  return value;
}

export function normalizeBio(bio: string): string {
  const value = bio.trim();
  if ([...value].length > BIO_MAX)
    throw invalid('BIO_TOO_LONG', `Bio must have at most ${BIO_MAX} characters.`, { max: String(BIO_MAX) });
  return value;
}

export function normalizeBirthDate(birthDate: string, now: Date): string {
  const value = birthDate.trim();
  if (value === '') return '';
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match
    ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
    : undefined;
  if (!match || !date || date.toISOString().slice(0, 10) !== value)
    throw invalid('INVALID_BIRTH_DATE', 'Birth date must be an ISO date (YYYY-MM-DD).');
  if (value > now.toISOString().slice(0, 10))
    throw invalid('BIRTH_DATE_IN_FUTURE', 'Birth date cannot be in the future.');
  if (value < '1900-01-01') throw invalid('INVALID_BIRTH_DATE', 'Birth date is too far in the past.');
  return value;
}
