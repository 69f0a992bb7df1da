import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { unauthenticated } from '@guardian/domain';

/**
 * Opaque rotating refresh tokens. A session is one token family: `<sessionId>.<secret>` where the
 * secret is 32 random bytes (base64url). Only SHA-256 of the secret is stored (the secret has 256 bits
 * of entropy, so a slow hash adds nothing). Each refresh replaces the current hash and appends the
 * old one to `usedRefreshHashes` (capped). Presenting a secret found among the used hashes is reuse:
 * the whole session (family) is revoked, so a stolen token and its thief's rotated successors die
 * together. A secret that matches neither is simply invalid (it does not revoke anything, so knowing
 * a session id — it is in every access token — is not enough to log someone out).
 * Sessions also expire: idle (no refresh for `idleTtlMs`) and absolute (`absoluteTtlMs` after login).
 */
export const REFRESH_SECRET_BYTES = 32;
export const USED_HASHES_KEPT = 50;

export interface RefreshPolicy {
  idleTtlMs: number;
  absoluteTtlMs: number;
}

export const DEFAULT_REFRESH_POLICY: Readonly<RefreshPolicy> = Object.freeze({
  idleTtlMs: 14 * 24 * 60 * 60_000,
  absoluteTtlMs: 30 * 24 * 60 * 60_000,
});

export interface RefreshSessionState {
  refreshHash: string;
  usedRefreshHashes: readonly string[];
  createdAt: Date;
  lastUsedAt: Date;
  revokedAt?: Date | null | undefined;
}

export interface ParsedRefreshToken {
  sessionId: string;
  secretHash: string;
}

export const hashRefreshSecret = (secret: string): string =>
  createHash('sha256').update(secret).digest('base64url');

export function newRefreshSecret(): { secret: string; hash: string } {
  const secret = randomBytes(REFRESH_SECRET_BYTES).toString('base64url');
  return { secret, hash: hashRefreshSecret(secret) };
}

export const formatRefreshToken = (sessionId: string, secret: string): string => `${sessionId}.${secret}`;

const TOKEN_PATTERN = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{43})$/;

/** Parses `<sessionId>.<secret>`; INVALID_REFRESH_TOKEN when malformed. */
export function parseRefreshToken(token: string): ParsedRefreshToken {
  const match = TOKEN_PATTERN.exec(token.trim());
  if (!match?.[1] || !match[2]) throw unauthenticated('INVALID_REFRESH_TOKEN', 'Refresh token is invalid.');
  return { sessionId: match[1], secretHash: hashRefreshSecret(match[2]) };
}

const sameHash = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export type RefreshDecision =
  | { kind: 'rotate' }
  | { kind: 'reuse' }
  | { kind: 'invalid' }
  | { kind: 'revoked' }
  | { kind: 'expired'; why: 'idle' | 'absolute' };

/** What to do with a presented refresh secret for this session (undefined: no such session). */
export function decideRefresh(
  session: RefreshSessionState | undefined,
  secretHash: string,
  now: Date,
  policy: RefreshPolicy = DEFAULT_REFRESH_POLICY,
): RefreshDecision {
  if (!session) return { kind: 'invalid' };
  const current = sameHash(session.refreshHash, secretHash);
  const used = !current && session.usedRefreshHashes.some((h) => sameHash(h, secretHash));
  if (!current && !used) return { kind: 'invalid' };
  if (session.revokedAt) return { kind: 'revoked' };
  if (used) return { kind: 'reuse' };
  if (now.getTime() - session.createdAt.getTime() > policy.absoluteTtlMs)
    return { kind: 'expired', why: 'absolute' };
  if (now.getTime() - session.lastUsedAt.getTime() > policy.idleTtlMs)
    return { kind: 'expired', why: 'idle' };
  return { kind: 'rotate' };
}

/** The used-hash list after a rotation, newest last, capped to USED_HASHES_KEPT. */
export const rotateUsedHashes = (used: readonly string[], previous: string): string[] =>
  [...used, previous].slice(-USED_HASHES_KEPT);

/** Session expiry as seen by lists and access checks: the earlier of idle and absolute expiry. */
export const sessionExpiresAt = (
  session: Pick<RefreshSessionState, 'createdAt' | 'lastUsedAt'>,
  policy: RefreshPolicy = DEFAULT_REFRESH_POLICY,
): Date =>
  new Date(
    Math.min(
      session.createdAt.getTime() + policy.absoluteTtlMs,
      session.lastUsedAt.getTime() + policy.idleTtlMs,
    ),
  );
