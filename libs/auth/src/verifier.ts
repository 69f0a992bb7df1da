import { DomainError, TtlCache } from '@guardian/domain';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

import { ROLES, type Role } from './roles.js';

/** What every service needs to know about the caller, from identity's access token. */
export interface AccessClaims {
  userId: string;
  sessionId: string;
  role: Role;
  expiresAt: Date;
  /**
   * When the user last proved who they are in this session (password or face sign-in; `auth_time`).
   * Refreshed tokens keep the sign-in's time, so a fresh proof is a fresh sign-in (step-up).
   */
  authTime?: Date;
}

export interface TokenVerifier {
  verify(token: string): Promise<AccessClaims>;
}

export interface JwksSource {
  /** Fetches the issuer's current public keys (identity's AuthService.GetJwks, biometrics' FaceService.GetJwks). */
  (): Promise<JSONWebKeySet>;
}

/**
 * Verifies JWTs against a JWKS fetched from the issuer and cached. An unknown `kid` triggers one
 * refresh (at most every `minRefreshMs`), so key rotation needs no restart and a flood of forged
 * kids cannot hammer the issuer.
 */
export class CachedJwks {
  private keys: ReturnType<typeof createLocalJWKSet> | undefined;
  private kids = new Set<string>();
  private fetchedAt = 0;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly source: JwksSource,
    private readonly options: { ttlMs?: number; minRefreshMs?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private async refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const jwks = await this.source();
        this.keys = createLocalJWKSet(jwks);
        this.kids = new Set(jwks.keys.map((key) => key.kid ?? ''));
        this.fetchedAt = this.now();
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  /** The key set that knows `kid`, refreshing when stale or when the kid is new. */
  async resolver(kid: string | undefined): Promise<ReturnType<typeof createLocalJWKSet>> {
    const age = this.now() - this.fetchedAt;
    const stale = !this.keys || age > (this.options.ttlMs ?? 5 * 60_000);
    const unknownKid =
      kid !== undefined && !this.kids.has(kid) && age > (this.options.minRefreshMs ?? 30_000);
    if (stale || unknownKid) {
      try {
        await this.refresh();
      } catch (error) {
        if (!this.keys)
          throw new DomainError('unavailable', 'JWKS_UNAVAILABLE', 'cannot fetch signing keys', {
            cause: error,
          });
      }
    }
    return this.keys!;
  }
}

/** One JSON part of a compact JWS (0 header, 1 payload), parsed WITHOUT verification. */
function jwsPart(token: string, index: 0 | 1): Record<string, unknown> | undefined {
  try {
    const part: unknown = JSON.parse(
      Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8'),
    );
    return typeof part === 'object' && part !== null ? (part as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function kidOf(token: string): string | undefined {
  const kid = jwsPart(token, 0)?.kid;
  return typeof kid === 'string' ? kid : undefined;
}

/** Clock skew tolerated on `exp`/`nbf` (seconds): a token is accepted until exp + this. */
export const DEFAULT_CLOCK_TOLERANCE_SEC = 5;

/** Verifies a compact JWS with EdDSA against the cached JWKS; maps every failure to UNAUTHENTICATED. */
export async function verifyJwt(
  jwks: CachedJwks,
  token: string,
  expected: {
    issuer: string;
    audience: string;
    clockToleranceSec?: number;
    maxTokenAgeSec?: number;
    currentDate?: Date;
  },
): Promise<JWTPayload> {
  const keys = await jwks.resolver(kidOf(token));
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: expected.issuer,
      audience: expected.audience,
      algorithms: ['EdDSA'],
      clockTolerance: expected.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC,
      ...(expected.maxTokenAgeSec === undefined ? {} : { maxTokenAge: expected.maxTokenAgeSec }),
      ...(expected.currentDate ? { currentDate: expected.currentDate } : {}),
    });
    return payload;
  } catch (error) {
    if (error instanceof errors.JWTExpired)
      throw new DomainError('unauthenticated', 'TOKEN_EXPIRED', 'the token has expired');
    throw new DomainError('unauthenticated', 'INVALID_TOKEN', 'the token is not valid');
  }
}

export const ACCESS_TOKEN_ISSUER = 'guardian-identity';
export const ACCESS_TOKEN_AUDIENCE = 'guardian';

/**
 * Verifies identity's access tokens (claims `sub`, `sid`, `role`). A token that verified is
 * remembered for up to `cacheTtlMs` (and never past its expiry), so a client's repeated calls cost
 * one signature check a minute instead of one each; whether its session is still live is the
 * caller's separate check.
 */
export class AccessTokenVerifier implements TokenVerifier {
  private readonly verified: TtlCache<string, AccessClaims>;
  private readonly now: () => number;

  constructor(
    private readonly jwks: CachedJwks,
    options: { cacheTtlMs?: number; maxCached?: number; now?: () => number } = {},
  ) {
    this.now = options.now ?? (() => Date.now());
    this.verified = new TtlCache(options.cacheTtlMs ?? 60_000, options.maxCached ?? 10_000, this.now);
  }

  async verify(token: string): Promise<AccessClaims> {
    const cached = this.verified.get(token);
    if (cached && cached.expiresAt.getTime() > this.now()) return cached;
    const claims = await this.verifyUncached(token);
    this.verified.set(token, claims);
    return claims;
  }

  private async verifyUncached(token: string): Promise<AccessClaims> {
    const payload = await verifyJwt(this.jwks, token, {
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      currentDate: new Date(this.now()),
    });
    const { sub, sid, role, exp, auth_time } = payload as JWTPayload & {
      sid?: unknown;
      role?: unknown;
      auth_time?: unknown;
    };
    if (
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      !ROLES.includes(role as Role) ||
      typeof exp !== 'number'
    ) {
      throw new DomainError('unauthenticated', 'INVALID_TOKEN', 'the token is missing required claims');
    }
    return {
      userId: sub,
      sessionId: sid,
      role: role as Role,
      expiresAt: new Date(exp * 1000),
      ...(typeof auth_time === 'number' ? { authTime: new Date(auth_time * 1000) } : {}),
    };
  }
}

/**
 * Identity's enrollment tokens: issued with a face-only registration so the new account can enroll
 * its face (biometrics Enroll for `sub` only). Their own audience keeps every access-token check
 * from accepting them.
 */
export const ENROLLMENT_TOKEN_AUDIENCE = 'guardian-enrollment';
export const ENROLLMENT_TOKEN_TTL_SEC = 15 * 60;

export interface EnrollmentClaims {
  userId: string;
  expiresAt: Date;
}

export async function verifyEnrollmentToken(
  jwks: CachedJwks,
  token: string,
  currentDate?: Date,
): Promise<EnrollmentClaims> {
  const { sub, exp } = await verifyJwt(jwks, token, {
    issuer: ACCESS_TOKEN_ISSUER,
    audience: ENROLLMENT_TOKEN_AUDIENCE,
    ...(currentDate ? { currentDate } : {}),
  });
  if (typeof sub !== 'string' || typeof exp !== 'number')
    throw new DomainError('unauthenticated', 'INVALID_TOKEN', 'the token is missing required claims');
  return { userId: sub, expiresAt: new Date(exp * 1000) };
}

/**
 * A JWT's claims read WITHOUT verification: only to route a token (which verifier, which user it
 * says it is for) to a check that does verify it.
 */
export function unverifiedClaims(token: string): { aud?: unknown; sub?: unknown; sid?: unknown } | undefined {
  return jwsPart(token, 1);
}
