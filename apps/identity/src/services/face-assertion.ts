import { type CachedJwks, DEFAULT_CLOCK_TOLERANCE_SEC, verifyJwt } from '@guardian/auth';
import { DomainError, isDomainError, unauthenticated } from '@guardian/domain';

/**
 * Face assertions are short-lived JWTs that biometrics signs (EdDSA, its own key, published through
 * biometrics.v1.FaceService/GetJwks) after a successful face verification. Identity accepts one when:
 * - the signature verifies against biometrics' JWKS (cached; an unknown kid refreshes it);
 * - `iss` is biometrics' issuer and `aud` is identity's audience (both configured);
 * - `sub` (the user id), `jti`, `iat` and `exp` are present, it has not expired (5 s clock tolerance),
 *   it was issued at most `maxAgeSec` ago and its lifetime `exp - iat` is at most `maxLifetimeSec`;
 * - its `jti` has never been accepted before (single use: `claimJti` records it atomically until the
 *   assertion's expiry and answers false when it was already there).
 * Every refusal is UNAUTHENTICATED with reason INVALID_FACE_ASSERTION (metadata { rule }), except a
 * replayed jti: FACE_ASSERTION_REUSED.
 */
export interface FaceAssertionRules {
  issuer: string;
  audience: string;
  maxLifetimeSec: number;
  maxAgeSec: number;
}

export const DEFAULT_FACE_ASSERTION_RULES: Readonly<FaceAssertionRules> = Object.freeze({
  issuer: 'guardian-biometrics',
  audience: 'guardian-identity',
  maxLifetimeSec: 120,
  maxAgeSec: 120,
});

export interface FaceAssertion {
  userId: string;
  jti: string;
  expiresAt: Date;
  /** Optional facts biometrics adds (distance, confidence); informational only. */
  confidence?: number;
  /** The liveness session the face was captured in, when it was. */
  liveness?: string;
}

/** Records a jti until `expiresAt`; resolves false when it was already recorded. */
export type ClaimJti = (jti: string, expiresAt: Date) => Promise<boolean>;

const refuse = (rule: string, message = 'Face assertion is not valid.') =>
  new DomainError('unauthenticated', 'INVALID_FACE_ASSERTION', message, { metadata: { rule } });

export async function verifyFaceAssertion(
  token: string,
  jwks: CachedJwks,
  rules: FaceAssertionRules,
  claimJti: ClaimJti,
): Promise<FaceAssertion> {
  if (!token || token.split('.').length !== 3) throw refuse('malformed');
  let payload;
  try {
    payload = await verifyJwt(jwks, token, {
      issuer: rules.issuer,
      audience: rules.audience,
      maxTokenAgeSec: rules.maxAgeSec,
    });
  } catch (error) {
    if (isDomainError(error) && error.reason === 'TOKEN_EXPIRED')
      throw refuse('expired', 'Face assertion has expired.');
    if (isDomainError(error) && error.kind === 'unavailable') throw error;
    throw refuse('signature_or_claims');
  }
  const { sub, jti, iat, exp } = payload;
  if (typeof sub !== 'string' || sub === '') throw refuse('missing_sub');
  if (typeof jti !== 'string' || jti === '') throw refuse('missing_jti');
  if (typeof iat !== 'number' || typeof exp !== 'number') throw refuse('missing_times');
  if (exp - iat > rules.maxLifetimeSec) throw refuse('lifetime_too_long');
  const expiresAt = new Date(exp * 1000);
  // Kept as used for as long as the verifier would still accept the token (exp + clock tolerance)
  // and a second more: a sweep between exp and that instant would otherwise reopen a replay window.
  const usedUntil = new Date((exp + DEFAULT_CLOCK_TOLERANCE_SEC + 1) * 1000);
  if (!(await claimJti(jti, usedUntil)))
    throw unauthenticated('FACE_ASSERTION_REUSED', 'Face assertion was already used.');
  const { confidence, liveness } = payload as { confidence?: unknown; liveness?: unknown };
  return {
    userId: sub,
    jti,
    expiresAt,
    ...(typeof confidence === 'number' ? { confidence } : {}),
    ...(typeof liveness === 'string' && liveness ? { liveness } : {}),
  };
}
