import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { normalizePassword } from './password-policy.js';

/**
 * argon2id with the OWASP Password Storage Cheat Sheet's first recommended configuration:
 * m = 19456 KiB (19 MiB), t = 2, p = 1, 32-byte hash, 16-byte random salt (PHC string format, so the
 * parameters travel with each hash). ~21 ms per hash on this workplace's machines.
 * Hashing runs on libuv's thread pool (argon2's native binding is async), never on the event loop.
 *
 * - `needsRehash` is true when a stored hash was made with other parameters or another variant;
 *   the login path then re-hashes the password it just verified.
 * - `verifyUnknownUser` verifies against a dummy hash made with the current parameters, so a login
 *   for an unknown identifier costs the same as a wrong password (no user enumeration by timing).
 * Passwords are hashed in NFKC form (see password-policy.ts).
 */
export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const OWASP_ARGON2ID: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

/** Longest password input ever hashed or verified (argon2 pre-hashes, but megabytes have no reason). */
export const MAX_PASSWORD_INPUT = 1024;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(storedHash: string, password: string): Promise<boolean>;
  needsRehash(storedHash: string): boolean;
  verifyUnknownUser(password: string): Promise<false>;
}

export class Argon2idHasher implements PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(readonly params: Readonly<Argon2Params> = OWASP_ARGON2ID) {}

  hash(password: string): Promise<string> {
    return argon2.hash(normalizePassword(password), {
      type: argon2.argon2id,
      hashLength: 32,
      ...this.params,
    });
  }

  async verify(storedHash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(storedHash, normalizePassword(password));
    } catch {
      return false; // malformed stored hash: treat as a mismatch, never as an error to the caller
    }
  }

  needsRehash(storedHash: string): boolean {
    if (!storedHash.startsWith('$argon2id$')) return true;
    try {
      return argon2.needsRehash(storedHash, { ...this.params, version: 0x13 });
    } catch {
      return true;
    }
  }

  async verifyUnknownUser(password: string): Promise<false> {
    this.dummyHash ??= argon2.hash(randomBytes(24).toString('base64url'), {
      type: argon2.argon2id,
      hashLength: 32,
      ...this.params,
    });
    await this.verify(await this.dummyHash, password);
    return false;
  }
}
