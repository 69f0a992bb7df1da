import type { Document } from '@guardian/proto/gen/guardian/identity/v1/verification';
import type { LoginAttempt, Session, TokenPair } from '@guardian/proto/gen/guardian/identity/v1/auth';
import type { User } from '@guardian/proto/gen/guardian/identity/v1/user';
import type { AuthAttemptRecord } from '../repositories/auth-attempt.repository.js';
import type { DocumentRecord } from '../repositories/document.repository.js';
import type { SessionRecord } from '../repositories/session.repository.js';
import type { UserRecord } from '../repositories/user.repository.js';
import type { TokenPairResult } from '../services/sign-in.service.js';
import { clientOf, type ClientContext } from '../services/events.js';

export function toUser(user: UserRecord, now: Date = new Date()): User {
  const locked = user.lockedUntil && user.lockedUntil > now ? user.lockedUntil : undefined;
  return {
    id: user._id,
    number: user.number ?? 0,
    username: user.username,
    email: user.email,
    fullName: user.fullName,
    locale: user.locale,
    role: user.role,
    status: user.status,
    profile: {
      phone: user.profile.phone,
      address: user.profile.address,
      birthDate: user.profile.birthDate,
      bio: user.profile.bio,
    },
    registrationKind: user.registrationKind,
    faceEnrolled: user.biometric.enrolled,
    verified: user.hasApprovedIdentityDocument && user.biometric.enrolled,
    lockedUntil: locked,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

export const toTokens = (tokens: TokenPairResult): TokenPair => ({
  accessToken: tokens.accessToken,
  accessTokenExpiresAt: tokens.accessTokenExpiresAt,
  refreshToken: tokens.refreshToken,
  refreshTokenExpiresAt: tokens.refreshTokenExpiresAt,
  sessionId: tokens.sessionId,
  tokenType: 'Bearer',
});

export const toSession = (session: SessionRecord & { expiresAt: Date; current: boolean }): Session => ({
  id: session._id,
  method: session.method,
  ip: session.ip,
  userAgent: session.userAgent,
  createdAt: session.createdAt,
  lastUsedAt: session.lastUsedAt,
  expiresAt: session.expiresAt,
  current: session.current,
});

export const toLoginAttempt = (attempt: AuthAttemptRecord): LoginAttempt => ({
  id: attempt._id,
  method: attempt.method,
  outcome: attempt.outcome,
  reason: attempt.reason,
  ip: attempt.ip,
  userAgent: attempt.userAgent,
  at: attempt.at,
});

export const toDocument = (doc: DocumentRecord): Document => ({
  id: doc._id,
  userId: doc.userId,
  type: doc.type,
  status: doc.status,
  contentType: doc.contentType,
  sizeBytes: doc.sizeBytes,
  fileName: doc.fileName,
  submittedAt: doc.submittedAt,
  reviewedAt: doc.reviewedAt ?? undefined,
  reviewedBy: doc.reviewedBy ?? '',
  reviewReason: doc.reviewReason ?? '',
});

/** The client as the BFF reports it; falls back to the gRPC peer address for direct callers. */
export function clientFrom(
  client: { ip?: string; userAgent?: string } | undefined,
  peer: string,
): ClientContext {
  const context = clientOf(client);
  if (!context.ip)
    context.ip = peer
      .replace(/^ipv[46]:/, '')
      .replace(/:\d+$/, '')
      .replace(/^\[|\]$/g, '');
  return context;
}
