import { invalid } from '@guardian/domain';

/**
 * Usernames: 3..32 of ASCII letters, digits, `_`, `.`, `-`; stored as typed, unique lower-cased.
 * E-mail: a pragmatic syntactic check (RFC 5321 lengths, one `@`, dot-atom local part, a domain of
 * LDH labels with a dot); stored lower-cased (unique). No DNS lookups.
 */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;
const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export const LOCALES = ['en', 'pt-BR', 'es'] as const;
export type Locale = (typeof LOCALES)[number];

export const FULL_NAME_MAX = 120;

export function normalizeUsername(username: string): string {
  const value = username.trim();
  if (!USERNAME_PATTERN.test(value)) {
    throw invalid(
      'INVALID_USERNAME',
      'Username must be 3-32 characters of letters, digits, "_", "." or "-".',
    );
  }
  return value;
}

export function isValidEmail(email: string): boolean {
  if (email.length > 254) return false;
  const at = email.lastIndexOf('@');
  if (at <= 0 || at !== email.indexOf('@')) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || !EMAIL_LOCAL.test(local)) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((label) => DOMAIN_LABEL.test(label))) return false;
  return /[A-Za-z]/.test(labels[labels.length - 1] ?? '');
}

/** Trims and lower-cases a valid address; INVALID_EMAIL otherwise. */
export function normalizeEmail(email: string): string {
  const value = email.trim().toLowerCase();
  if (!isValidEmail(value)) throw invalid('INVALID_EMAIL', 'E-mail address is not valid.');
  return value;
}

export function normalizeFullName(fullName: string): string {
  const value = fullName.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (value.length === 0) throw invalid('INVALID_FULL_NAME', 'Full name is required.');
  if ([...value].length > FULL_NAME_MAX)
    throw invalid('INVALID_FULL_NAME', `Full name must have at most ${FULL_NAME_MAX} characters.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw invalid('INVALID_FULL_NAME', 'Full name must not contain control characters.');
  return value;
}

export function normalizeLocale(locale: string | undefined): Locale {
  if (locale === undefined || locale === '') return 'en';
  const found = LOCALES.find((l) => l.toLowerCase() === locale.trim().toLowerCase());
  if (!found) throw invalid('INVALID_LOCALE', `Locale must be one of ${LOCALES.join(', ')}.`);
  return found;
}

/** A login identifier is an e-mail when it contains `@`, else a username. */
export const identifierKind = (identifier: string): 'email' | 'username' =>
  identifier.includes('@') ? 'email' : 'username';
