import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  AccessTokenVerifier,
  ENROLLMENT_TOKEN_AUDIENCE,
  ENROLLMENT_TOKEN_TTL_SEC,
  CachedJwks,
  type AccessClaims,
  type KeyRing,
  type Role,
} from '@guardian/auth';

/**
 * Access tokens: EdDSA JWTs signed with the first key of identity's KeyRing, header `kid`, claims
 * iss=guardian-identity, aud=guardian, sub=user id, sid=session id, role, iat, exp (15 min default),
 * jti. Other services verify them locally against AuthService.GetJwks; identity verifies its own with
 * the same code (through the ring's public keys) and also checks the session is still live.
 */
export const ACCESS_TOKEN_TTL_SEC = 15 * 60;

export class AccessTokens {
  private readonly verifier: AccessTokenVerifier;

  constructor(
    private readonly keyRing: KeyRing,
    private readonly ttlSec: number = ACCESS_TOKEN_TTL_SEC,
  ) {
    this.verifier = new AccessTokenVerifier(
      new CachedJwks(async () => keyRing.publicJwks(), { ttlMs: Number.MAX_SAFE_INTEGER }),
    );
  }

  async issue(subject: {
    userId: string;
    sessionId: string;
    role: Role;
    /** When the session's user proved who they are (sign-in); refreshes keep it. */
    authTime: Date;
  }): Promise<{ token: string; expiresAt: Date }> {
    const expiresAt = new Date((Math.floor(Date.now() / 1000) + this.ttlSec) * 1000);
    const token = await this.keyRing.sign(
      {
        sid: subject.sessionId,
        role: subject.role,
        auth_time: Math.floor(subject.authTime.getTime() / 1000),
      },
      {
        issuer: ACCESS_TOKEN_ISSUER,
        audience: ACCESS_TOKEN_AUDIENCE,
        subject: subject.userId,
        expiresInSec: this.ttlSec,
        jti: crypto.randomUUID(),
      },
    );
    return { token, expiresAt };
  }

  /** Lets a new face-only account enroll its face (see ENROLLMENT_TOKEN_AUDIENCE), nothing else. */
  async issueEnrollment(userId: string): Promise<{ token: string; expiresAt: Date }> {
    const expiresAt = new Date((Math.floor(Date.now() / 1000) + ENROLLMENT_TOKEN_TTL_SEC) * 1000);
    const token = await this.keyRing.sign(
      {},
      {
        issuer: ACCESS_TOKEN_ISSUER,
        audience: ENROLLMENT_TOKEN_AUDIENCE,
        subject: userId,
        expiresInSec: ENROLLMENT_TOKEN_TTL_SEC,
        jti: crypto.randomUUID(),
      },
    );
    return { token, expiresAt };
  }

  /** Signature, issuer, audience, expiry and claims; UNAUTHENTICATED (INVALID_TOKEN/TOKEN_EXPIRED) otherwise. */
  verify(token: string): Promise<AccessClaims> {
    return this.verifier.verify(token);
  }
}
