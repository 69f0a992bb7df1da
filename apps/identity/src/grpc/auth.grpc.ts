import { bearerToken, type CallContext, type AsyncService } from '@guardian/grpc-kit';
import {
  ENROLLMENT_TOKEN_AUDIENCE,
  unverifiedClaims,
  verifyEnrollmentToken,
  type CachedJwks,
  type KeyRing,
} from '@guardian/auth';
import type { LivenessCapture } from '@guardian/proto/gen/guardian/common/v1/liveness';
import type { AuthServiceServer } from '@guardian/proto/gen/guardian/identity/v1/auth';
import { invalid } from '@guardian/domain';
import type { AccountService } from '../services/accounts.service.js';
import type { CredentialService } from '../services/credentials.service.js';
import type { LivenessSessions } from '../services/liveness.service.js';
import type { SessionService } from '../services/sessions.service.js';
import type { SignInService } from '../services/sign-in.service.js';
import type { UserService } from '../services/user.service.js';
import { clientFrom, toLoginAttempt, toSession, toTokens, toUser } from './mappers.js';

/** AuthService transport: parse, call the service, map. */
export function authHandlers(
  auth: {
    accounts: AccountService;
    signIn: SignInService;
    sessions: SessionService;
    credentials: CredentialService;
    liveness: LivenessSessions;
  },
  users: UserService,
  keyRing: KeyRing,
  ownJwks: CachedJwks,
): AsyncService<AuthServiceServer> {
  /** The caller of an enroll liveness session: an access token, or a face-only account's enrollment token. */
  const enrollingCaller = async (ctx: CallContext) => {
    const token = bearerToken(ctx.metadata);
    if (token === undefined || unverifiedClaims(token)?.aud !== ENROLLMENT_TOKEN_AUDIENCE) return ctx.auth();
    const { userId } = await verifyEnrollmentToken(ownJwks, token);
    return { userId, role: 'user' as const };
  };
  const capture = (liveness: LivenessCapture | undefined) =>
    liveness && (liveness.session || liveness.frames.length || liveness.clip.length)
      ? { liveness: { session: liveness.session, frames: liveness.frames, clip: liveness.clip } }
      : {};
  const client = (req: { client?: { ip: string; userAgent: string } | undefined }, ctx: CallContext) =>
    clientFrom(req.client, ctx.peer);
  return {
    getJwks: async () => ({
      jwks: {
        keys: keyRing.publicJwks().keys.map((k) => ({
          kty: k.kty ?? '',
          crv: k.crv ?? '',
          x: k.x ?? '',
          kid: k.kid ?? '',
          alg: k.alg ?? '',
          use: k.use ?? '',
        })),
      },
    }),
    register: async (req, ctx) => ({ user: toUser(await auth.accounts.register(req, ctx.requestId)) }),
    registerFaceOnly: async (req, ctx) => {
      const { user, enrollment } = await auth.accounts.registerFaceOnly(req, ctx.requestId);
      return {
        user: toUser(user),
        enrollmentToken: enrollment.token,
        enrollmentTokenExpiresAt: enrollment.expiresAt,
      };
    },
    login: async (req, ctx) => {
      const { user, tokens } = await auth.signIn.login(
        { identifier: req.identifier, password: req.password, client: client(req, ctx) },
        ctx.requestId,
      );
      return { user: toUser(user), tokens: toTokens(tokens) };
    },
    loginWithNewPassword: async (req, ctx) => {
      const { user, tokens } = await auth.signIn.login(
        {
          identifier: req.identifier,
          password: req.password,
          newPassword: req.newPassword,
          client: client(req, ctx),
        },
        ctx.requestId,
      );
      return { user: toUser(user), tokens: toTokens(tokens) };
    },
    loginWithFace: async (req, ctx) => {
      const { user, tokens, confidence } = await auth.signIn.loginWithFace(
        {
          identifier: req.identifier,
          userId: req.userId,
          image: Buffer.from(req.image),
          largestFace: req.largestFace,
          client: client(req, ctx),
          ...capture(req.liveness),
        },
        ctx.requestId,
      );
      return { user: toUser(user), tokens: toTokens(tokens), confidence };
    },
    startLiveness: async (req, ctx) => {
      const { session, challenge, budget } = await auth.liveness.start(
        { purpose: req.purpose, identifier: req.identifier, userId: req.userId, client: client(req, ctx) },
        () => enrollingCaller(ctx),
      );
      return {
        session,
        sessionId: challenge.sessionId,
        actions: challenge.actions,
        budget,
        expiresAt: challenge.expiresAt,
      };
    },
    loginWithFaceAssertion: async (req, ctx) => {
      const { user, tokens } = await auth.signIn.loginWithFaceAssertion(
        { assertion: req.assertion, client: client(req, ctx) },
        ctx.requestId,
      );
      return { user: toUser(user), tokens: toTokens(tokens) };
    },
    refresh: async (req, ctx) => ({
      tokens: toTokens(
        await auth.sessions.refresh(
          { refreshToken: req.refreshToken, client: client(req, ctx) },
          ctx.requestId,
        ),
      ),
    }),
    logout: async (_req, ctx) => {
      await auth.sessions.logout(await ctx.auth(), ctx.requestId);
      return {};
    },
    logoutAll: async (_req, ctx) => ({
      revokedCount: await auth.sessions.logoutAll(await ctx.auth(), ctx.requestId),
    }),
    listSessions: async (req, ctx) => {
      const claims = await ctx.auth();
      const owner = await users.activityOwner(claims, req.userId);
      return { sessions: (await auth.sessions.listSessions(owner, claims.sessionId)).map(toSession) };
    },
    revokeSession: async (req, ctx) => {
      const owner = await users.activityOwner(await ctx.auth(), req.userId);
      await auth.sessions.revokeSession(owner, req.sessionId, ctx.requestId);
      return {};
    },
    listLoginAttempts: async (req, ctx) => {
      const owner = await users.activityOwner(await ctx.auth(), req.userId);
      const limit = req.limit === 0 ? 50 : req.limit;
      if (!Number.isInteger(limit) || limit < 1 || limit > 200)
        throw invalid('INVALID_LIMIT', 'limit must be 1..200.');
      return { attempts: (await auth.signIn.listLoginAttempts(owner, limit)).map(toLoginAttempt) };
    },
    changePassword: async (req, ctx) => ({
      revokedSessions: await auth.credentials.changePassword(
        await ctx.auth(),
        { currentPassword: req.currentPassword, newPassword: req.newPassword, client: client(req, ctx) },
        ctx.requestId,
      ),
    }),
    checkSession: async (_req, ctx) => {
      const claims = await ctx.auth();
      return { userId: claims.userId, sessionId: claims.sessionId, role: claims.role };
    },
  };
}
