import { readFileSync } from 'node:fs';
import { DomainError } from '@guardian/domain';

/**
 * Password policy after NIST SP 800-63B §5.1.1.2 (memorized secrets):
 * - 8..128 characters, counted as Unicode code points after NFKC normalisation; any character allowed
 *   (spaces and emoji included), no composition rules, no forced rotation;
 * - refused when it is in the shipped list of common passwords (src/data/common-passwords.txt,
 *   compared case-insensitively), when it is one character repeated, or when it equals the
 *   username, the e-mail address or the e-mail's local part (case-insensitively).
 * Failure: DomainError('invalid', 'WEAK_PASSWORD') with metadata { rule }.
 */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

export type PasswordRule =
  'too_short' | 'too_long' | 'common_password' | 'repeated_character' | 'matches_username' | 'matches_email';

export interface PasswordContext {
  username?: string | undefined;
  email?: string | undefined;
}

let commonPasswords: ReadonlySet<string> | undefined;

/** The blocklist, loaded once from the data file next to the sources. */
export function loadCommonPasswords(): ReadonlySet<string> {
  if (!commonPasswords) {
    const text = readFileSync(new URL('../data/common-passwords.txt', import.meta.url), 'utf8');
    commonPasswords = new Set(
      text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.length > 0),
    );
  }
  return commonPasswords;
}

/** The form a password is checked and hashed in: NFKC, as 800-63B recommends for Unicode secrets. */
export const normalizePassword = (password: string): string => password.normalize('NFKC');

/** Returns the first rule the password breaks, or undefined when it is acceptable. */
export function findPasswordViolation(
  password: string,
  context: PasswordContext = {},
): PasswordRule | undefined {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  const lower = normalized.toLowerCase();
  if (loadCommonPasswords().has(lower)) return 'common_password';
  if (new Set(lower).size === 1) return 'repeated_character';
  const username = context.username?.trim().toLowerCase();
  if (username && lower === username) return 'matches_username';
  const email = context.email?.trim().toLowerCase();
  if (email) {
    const localPart = email.split('@')[0];
    if (lower === email || (localPart && lower === localPart)) return 'matches_email';
  }
  return undefined;
}

const messages: Record<PasswordRule, string> = {
  too_short: `Password must have at least ${PASSWORD_MIN_LENGTH} characters.`,
  too_long: `Password must have at most ${PASSWORD_MAX_LENGTH} characters.`,
  common_password: 'Password is too common; choose a less predictable one.',
  repeated_character: 'Password must not be a single repeated character.',
  matches_username: 'Password must not equal the username.',
  matches_email: 'Password must not equal the e-mail address.',
};

/** Throws WEAK_PASSWORD { rule } when the password breaks the policy. */
export function assertPasswordAcceptable(password: string, context: PasswordContext = {}): void {
  const rule = findPasswordViolation(password, context);
  if (rule) throw new DomainError('invalid', 'WEAK_PASSWORD', messages[rule], { metadata: { rule } });
}
