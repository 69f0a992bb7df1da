import { unverifiedClaims } from '@guardian/auth';
import { DomainError } from '@guardian/domain';
import type { TokenPair } from '@guardian/proto/gen/guardian/identity/v1/auth';
import { z } from 'zod';
import { imageOf, readImage, readLiveness } from '../services/uploads.js';
import { json } from './json.js';
import { imagesFrom, single } from './rest-meta.js';
import {
  idSchema,
  imageSchema,
  enrollFacesShape,
  hasFaces,
  NO_FACES,
  largestFaceSchema,
  livenessSchema,
  localeSchema,
  passwordSchema,
  sessionModeSchema,
} from './schemas.js';
import { callOptions, protectedProcedure, publicProcedure, router, type Context } from './trpc.js';

/** Tokens for API clients, or cookies for the dashboard (then only the CSRF token is returned). */
function issue(ctx: Context, tokens: TokenPair | undefined, mode: 'token' | 'cookie') {
  if (!tokens) throw new DomainError('unavailable', 'NO_TOKENS', 'identity returned no tokens');
  if (mode === 'cookie') {
    const { csrfToken } = ctx.session.set(tokens);
    return {
      mode: 'cookie' as const,
      csrfToken,
      sessionId: tokens.sessionId,
      accessTokenExpiresAt: tokens.accessTokenExpiresAt?.toISOString() ?? null,
    };
  }
  return {
    mode: 'token' as const,
    tokenType: 'Bearer' as const,
    accessToken: tokens.accessToken,
    accessTokenExpiresAt: tokens.accessTokenExpiresAt?.toISOString() ?? null,
    refreshToken: tokens.refreshToken,
    refreshTokenExpiresAt: tokens.refreshTokenExpiresAt?.toISOString() ?? null,
    sessionId: tokens.sessionId,
  };
}

const identifierInput = z
  .object({
    identifier: z.string().min(1).max(320).optional().describe('username or e-mail address'),
    username: z.string().min(1).max(320).optional().describe('alias of identifier'),
    email: z.string().min(1).max(320).optional().describe('alias of identifier'),
  })
  .refine((v) => v.identifier ?? v.username ?? v.email, {
    message: 'identifier (or username / email) is required',
    path: ['identifier'],
  });

export const authRouter = router({
  /** A password account (role user). */
  register: publicProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/auth/register',
        summary: 'Create a password account',
        tag: 'auth',
        public: true,
        status: 201,
        adapt: (raw) => ({ ...raw, fullName: raw.fullName ?? raw.full_name }),
      },
    })
    .meta({ rateLimit: 'signIn' })
    .input(
      z.object({
        username: z.string().min(1).max(64),
        email: z.string().min(3).max(320),
        password: passwordSchema,
        fullName: z.string().max(200).optional(),
        locale: localeSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { user } = await ctx.clients.auth.register(
        {
          username: input.username,
          email: input.email,
          password: input.password,
          fullName: input.fullName ?? '',
          locale: input.locale ?? 'en',
          client: ctx.client,
        },
        callOptions(ctx),
      );
      return { user: json(user!) };
    }),

  /**
   * A face-only account (no password): pending until a face is enrolled for it with the returned
   * enrollment token (faceOnlyEnroll, within 15 minutes; an admin can also enroll for it).
   */
  faceOnlyRegister: publicProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/auth/face-only-register',
        summary:
          'Create a face-only account (pending until a face is enrolled); returns an enrollment token for face-only-enroll',
        tag: 'auth',
        public: true,
        status: 201,
      },
    })
    .meta({ rateLimit: 'signIn' })
    .input(
      z.object({
        fullName: z.string().min(1).max(200),
        email: z.string().min(3).max(320),
        username: z.string().max(64).optional(),
        locale: localeSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { user, enrollmentToken, enrollmentTokenExpiresAt } = await ctx.clients.auth.registerFaceOnly(
        {
          fullName: input.fullName,
          email: input.email,
          username: input.username ?? '',
          locale: input.locale ?? 'en',
          client: ctx.client,
        },
        callOptions(ctx),
      );
      return {
        user: json(user!),
        enrollmentToken,
        enrollmentTokenExpiresAt: enrollmentTokenExpiresAt?.toISOString() ?? null,
      };
    }),

  /** Username or e-mail + password. */
  login: publicProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/auth/login',
        summary: 'Sign in with username or e-mail and password; returns Bearer tokens',
        tag: 'auth',
        public: true,
      },
    })
    .meta({ rateLimit: 'signIn' })
    .input(
      z.intersection(
        identifierInput,
        z.object({
          password: passwordSchema,
          newPassword: passwordSchema
            .optional()
            .describe(
              'required when the answer was PASSWORD_CHANGE_REQUIRED (a one-time password): replaces it',
            ),
          session: sessionModeSchema,
        }),
      ),
    )
    .mutation(async ({ ctx, input }) => {
      const identifier = (input.identifier ?? input.username ?? input.email)!;
      const client = ctx.client;
      const result = input.newPassword
        ? await ctx.clients.auth.loginWithNewPassword(
            { identifier, password: input.password, newPassword: input.newPassword, client },
            callOptions(ctx),
          )
        : await ctx.clients.auth.login({ identifier, password: input.password, client }, callOptions(ctx));
      return { user: json(result.user!), ...issue(ctx, result.tokens, input.session) };
    }),

  /**
   * A liveness challenge (identity StartLiveness) before a face sign-in or enrollment: the moves to
   * make in order, the frame budget, the expiry and the session to send back with the capture.
   * `enroll` needs the account's access token (or a face-only account's `enrollmentToken`).
   */
  livenessStart: publicProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/auth/liveness',
        summary:
          'Start a liveness challenge for a face sign-in (`purpose` sign_in, optional `username`) or enrollment (`purpose` enroll)',
        tag: 'auth',
        public: true,
        status: 201,
      },
    })
    .meta({ rateLimit: 'signIn' })
    .input(
      z.object({
        purpose: z.enum(['sign_in', 'enroll']).default('sign_in'),
        username: z.string().min(1).max(320).optional().describe('sign_in: the name that will sign in'),
        userId: idSchema.optional().describe('sign_in: the account id that will sign in; enroll: whose face'),
        enrollmentToken: z.string().min(1).max(4096).optional().describe('enroll: a face-only account'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const started = await ctx.clients.auth.startLiveness(
        {
          purpose: input.purpose,
          identifier: input.username ?? '',
          userId: input.userId ?? '',
          client: ctx.client,
        },
        { ...callOptions(ctx), ...(input.enrollmentToken ? { accessToken: input.enrollmentToken } : {}) },
      );
      return {
        session: started.session,
        sessionId: started.sessionId,
        actions: started.actions,
        budget: started.budget ?? null,
        expiresAt: started.expiresAt?.toISOString() ?? null,
      };
    }),

  /**
   * A liveness capture (or, where the deployment allows it, a photo) of the face and, optionally,
   * whose face it is (username, e-mail or user id). Without a name every enrolled face is searched
   * (biometrics IdentifyForLogin: stricter threshold, and refused when two accounts share the face).
   */
  faceLogin: publicProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/auth/face-login',
        summary:
          'Sign in with your face: a liveness capture (`liveness`, from /api/auth/liveness) and your username; without a username the face is searched among all accounts. A photo (multipart `image` or base64) only where IDENTITY_LIVENESS_SIGN_IN=optional',
        tag: 'auth',
        public: true,
        files: { image: 'image' },
        adapt: single('image'),
      },
    })
    .meta({ rateLimit: 'signIn' })
    .input(
      z
        .object({
          image: imageSchema.optional(),
          liveness: livenessSchema.optional(),
          username: z.string().min(1).max(320).optional().describe('username or e-mail of the account'),
          userId: idSchema.optional(),
          session: sessionModeSchema,
          largestFace: largestFaceSchema,
        })
        .refine((v) => v.image !== undefined || v.liveness !== undefined, {
          message: 'a liveness capture (or a photo) is required',
          path: ['liveness'],
        }),
    )
    .mutation(async ({ ctx, input }) => {
      const image =
        input.image === undefined ? Buffer.alloc(0) : readImage(input.image, ctx.limits.imageBytes);
      const liveness = input.liveness ? { liveness: readLiveness(input.liveness) } : {};
      // identity resolves the name, asks biometrics and opens the session; every failure to match
      // is one answer (FACE_NOT_MATCHED) without a score.
      const result = await ctx.clients.auth.loginWithFace(
        {
          identifier: input.username ?? '',
          userId: input.userId ?? '',
          image,
          largestFace: input.largestFace,
          client: ctx.client,
          ...liveness,
        },
        { ...callOptions(ctx), deadlineMs: ctx.clients.faceDeadlineMs },
      );
      return {
        user: json(result.user!),
        confidence: result.confidence,
        ...issue(ctx, result.tokens, input.session),
      };
    }),

  /**
   * Second step of a face-only account: its enrollment token (from faceOnlyRegister) and 1..5 photos.
   * The account becomes active once identity hears of the enrollment, then signs in with faceLogin.
   */
  faceOnlyEnroll: publicProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/auth/face-only-enroll',
        summary:
          'Enroll the face of a new face-only account: `enrollmentToken` and a liveness capture (`liveness`); 1-5 photos (multipart `image`, repeatable, after the `enrollmentToken` field; or base64 `images`) only where BIOMETRICS_LIVENESS_ENROLL=optional',
        tag: 'auth',
        public: true,
        status: 201,
        files: { image: 'image[]', images: 'images[]' },
        tokenField: 'enrollmentToken',
        adapt: imagesFrom,
      },
    })
    .meta({ rateLimit: 'signIn' })
    .input(
      z
        .object({ enrollmentToken: z.string().min(1).max(4096), ...enrollFacesShape })
        .refine(hasFaces, NO_FACES),
    )
    .mutation(async ({ ctx, input }) => {
      const images = input.images.map((image, i) =>
        imageOf(readImage(image, ctx.limits.imageBytes, `images[${i}]`)),
      );
      const liveness = input.liveness ? { liveness: readLiveness(input.liveness) } : {};
      // biometrics verifies the token; the BFF only reads which account it names.
      const userId = unverifiedClaims(input.enrollmentToken)?.sub;
      if (typeof userId !== 'string')
        throw new DomainError('unauthenticated', 'INVALID_TOKEN', 'The enrollment token is not valid.');
      const result = await ctx.clients.faces.enroll(
        { userId, images, client: ctx.client, largestFace: input.largestFace, ...liveness },
        { ...callOptions(ctx), accessToken: input.enrollmentToken },
      );
      return json(result);
    }),

  /** A new token pair for a refresh token (from the body, or the dashboard's cookie). */
  refresh: publicProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/auth/refresh',
        summary: 'Exchange a refresh token for a new token pair',
        tag: 'auth',
        public: true,
      },
    })
    .meta({ rateLimit: 'signIn' })
    .input(
      z
        .object({ refreshToken: z.string().min(1).max(1024).optional(), session: sessionModeSchema })
        .optional(),
    )
    .mutation(async ({ ctx, input }) => {
      const refreshToken = input?.refreshToken ?? ctx.session.refreshToken;
      if (!refreshToken)
        throw new DomainError('unauthenticated', 'REFRESH_TOKEN_REQUIRED', 'Please sign in again.');
      const mode = input?.refreshToken
        ? (input.session ?? 'token')
        : ctx.session.refreshToken
          ? 'cookie'
          : 'token';
      try {
        const { tokens } = await ctx.clients.auth.refresh(
          { refreshToken, client: ctx.client },
          callOptions(ctx),
        );
        return issue(ctx, tokens, mode);
      } catch (error) {
        if (mode === 'cookie') ctx.session.clear();
        throw error;
      }
    }),

  /** Ends the current session (and clears the dashboard's cookies). */
  logout: protectedProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/auth/logout',
        summary: 'End the current session',
        tag: 'auth',
      },
    })
    .mutation(async ({ ctx }) => {
      try {
        await ctx.clients.auth.logout({}, callOptions(ctx));
      } finally {
        ctx.session.clear();
      }
      return { ok: true as const };
    }),

  /** Ends every session of the caller. */
  logoutAll: protectedProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/auth/logout-all',
        summary: 'End every session',
        tag: 'auth',
      },
    })
    .mutation(async ({ ctx }) => {
      const { revokedCount } = await ctx.clients.auth.logoutAll({}, callOptions(ctx));
      ctx.session.clear();
      return { revokedCount };
    }),

  /** Who the caller is, from the access token (cheap; no service call). */
  whoami: protectedProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/auth/whoami',
        summary: 'Who the access token belongs to (user id, role, session)',
      },
    })
    .query(({ ctx }) => ({
      userId: ctx.claims.userId,
      role: ctx.claims.role,
      sessionId: ctx.claims.sessionId,
      expiresAt: ctx.claims.expiresAt.toISOString(),
      via: ctx.authVia ?? 'bearer',
    })),
});
