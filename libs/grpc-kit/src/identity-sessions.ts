import { AccessTokenVerifier, CachedJwks, LiveSessionVerifier, unverifiedClaims } from '@guardian/auth';
import { DomainError } from '@guardian/domain';
import type { Jwks } from '@guardian/proto/gen/guardian/common/v1/jwks';

import { grpcJwksSource } from './jwks-source.js';

/** The two calls of identity's AuthService that checking its access tokens needs. */
export interface IdentitySessionCalls {
  getJwks(request: object): Promise<{ jwks?: Jwks | undefined }>;
  checkSession(request: object, options: { accessToken: string }): Promise<unknown>;
}

/**
 * How the services outside identity check its access tokens: the signature against identity's JWKS,
 * then the session with identity's CheckSession (remembered until a revocation event; feed it with
 * `followRevocations` of `@guardian/events`).
 */
export function identitySessionVerifier(
  identity: IdentitySessionCalls,
  options: {
    /** identity's keys, when the caller already holds them (for other token kinds). */
    jwks?: CachedJwks;
    tokenCacheTtlMs?: number;
    sessionTtlMs?: number;
  } = {},
): LiveSessionVerifier {
  const tokens = new AccessTokenVerifier(
    options.jwks ?? new CachedJwks(grpcJwksSource(() => identity.getJwks({}))),
    options.tokenCacheTtlMs === undefined ? {} : { cacheTtlMs: options.tokenCacheTtlMs },
  );
  return new LiveSessionVerifier(
    tokens,
    (accessToken) => identity.checkSession({}, { accessToken }),
    options.sessionTtlMs === undefined ? {} : { ttlMs: options.sessionTtlMs },
  );
}

/**
 * identity's two calls as tests and benchmarks stand it in when they sign their own tokens: the
 * public half of `keys`, and every session live unless its id is in `revoked`.
 */
export function keyRingIdentity(
  keys: { publicJwks(): { keys: object[] } },
  revoked: ReadonlySet<string> = new Set(),
): IdentitySessionCalls {
  return {
    getJwks: async () => ({ jwks: keys.publicJwks() as Jwks }),
    checkSession: async (_request, { accessToken }) => {
      const sid = unverifiedClaims(accessToken)?.sid;
      if (typeof sid === 'string' && revoked.has(sid))
        throw new DomainError('unauthenticated', 'SESSION_REVOKED', 'This session has been revoked.');
      return {};
    },
  };
}
