import type { AccessClaims, TokenVerifier } from '@guardian/auth';
import { isDomainError } from '@guardian/domain';
import type { CallOptionsLite, HealthStatus } from '@guardian/grpc-kit';
import type { Logger } from '@guardian/logger';
import { initTRPC, TRPCError } from '@trpc/server';
import type { ServiceClients } from '../clients.js';
import type { RestOperation } from './rest-meta.js';
import type { LiveFeed } from '../services/live-feed.js';
import { errorFacts, publicMessage, toTRPCError } from './errors.js';

/** Tokens as identity issued them; what a session store keeps. */
export interface IssuedTokens {
  accessToken: string;
  accessTokenExpiresAt?: Date | undefined;
  refreshToken: string;
  refreshTokenExpiresAt?: Date | undefined;
}

/**
 * The dashboard's cookie session as procedures see it. The HTTP layer implements it with HttpOnly
 * cookies; `createContextInner` defaults to a store that keeps nothing (API clients, tests).
 */
export interface SessionStore {
  /** The refresh token from the cookie, when the request carried one. */
  readonly refreshToken: string | undefined;
  /** Stores the tokens in cookies; returns the CSRF token the client must echo in `x-csrf-token`. */
  set(tokens: IssuedTokens): { csrfToken: string };
  clear(): void;
}

export const noSession: SessionStore = {
  refreshToken: undefined,
  set: () => ({ csrfToken: '' }),
  clear: () => undefined,
};

export interface ServiceHealth {
  name: string;
  address: string;
  check: () => Promise<HealthStatus>;
}

export interface ConsumerLag {
  stream: string;
  consumer: string;
  pending: number;
  ackPending: number;
  redelivered: number;
}

export interface SessionWatch {
  /** Calls `onRevoked` when the session is revoked; returns the unwatch. */
  watch(sessionId: string, onRevoked: () => void): () => void;
}

/** Long-lived things every request shares (built once in main.ts, or by a test). */
export interface ContextDeps {
  logger: Logger;
  verifier: TokenVerifier;
  /** Tells an open stream that its session was revoked (`LiveSessionVerifier.watch`). */
  sessions: SessionWatch;
  clients: ServiceClients;
  services: ServiceHealth[];
  feed: LiveFeed;
  /** JetStream consumers and how far behind they are (system status). */
  consumerLag: () => Promise<ConsumerLag[]>;
  limits: { imageBytes: number; documentBytes: number };
}

/** What procedures may use; built without an HTTP request so tests can call `createCaller`. */
export interface ContextInner extends ContextDeps {
  /** The caller's access token (Bearer header, or the dashboard's cookie). */
  accessToken: string | undefined;
  authVia: 'bearer' | 'cookie' | undefined;
  requestId: string;
  /** The end user's client as this edge sees it (forwarded to identity and biometrics). */
  client: { ip: string; userAgent: string };
  session: SessionStore;
}

export function createContextInner(
  inner: ContextDeps &
    Partial<Pick<ContextInner, 'accessToken' | 'authVia' | 'client' | 'session'>> & { requestId: string },
): ContextInner {
  return {
    ...inner,
    accessToken: inner.accessToken,
    authVia: inner.authVia ?? (inner.accessToken ? 'bearer' : undefined),
    client: inner.client ?? { ip: '', userAgent: '' },
    session: inner.session ?? noSession,
  };
}
export type Context = ContextInner;

/**
 * The edge's rate-limit tier of a procedure, declared beside it with `.meta({ rateLimit })`:
 * `signIn` (credentials are checked; per-IP budget shared by the tier, never batched), `upload`
 * (photos and documents), and `read` for everything that declares nothing.
 */
export type RateLimitTier = 'signIn' | 'upload' | 'read';
export interface ProcedureMeta {
  rateLimit?: RateLimitTier;
  /** The procedure's REST operation(s) (router/rest-meta.ts). */
  rest?: RestOperation | RestOperation[];
  /** Why the procedure has no REST operation (the contract test demands one or the other). */
  noRest?: string;
}

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    errorFormatter: ({ shape, error }) => {
      return {
        ...shape,
        message: publicMessage(error),
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          ...errorFacts(error),
        },
      };
    },
    sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 40_000 } },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** DomainErrors (from the services or the BFF) leave with the HTTP status of their kind and their reason. */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR' && isDomainError(result.error.cause)) {
    throw toTRPCError(result.error.cause);
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapDomainErrors);

const authenticated = t.middleware(async ({ ctx, next }) => {
  if (!ctx.accessToken)
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: 'Please sign in first (no access token was sent).',
    });
  let claims: AccessClaims;
  try {
    claims = await ctx.verifier.verify(ctx.accessToken);
  } catch (error) {
    if (isDomainError(error) && error.kind !== 'unauthenticated') throw toTRPCError(error);
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: 'Your session has expired or is not valid. Please sign in again.',
      cause: error,
    });
  }
  return next({ ctx: { ...ctx, claims } });
});

export const protectedProcedure = publicProcedure.use(authenticated);

export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.claims.role !== 'admin' && ctx.claims.role !== 'master') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'This is for administrators only.' });
  }
  return next();
});

/** gRPC call options that forward the caller's token and the request id. */
export const callOptions = (
  ctx: Pick<Context, 'accessToken' | 'requestId'>,
  signal?: AbortSignal,
): CallOptionsLite => ({
  ...(ctx.accessToken ? { accessToken: ctx.accessToken } : {}),
  requestId: ctx.requestId,
  ...(signal ? { signal } : {}),
});

/**
 * An AbortSignal that fires when the request ends, the caller's session is revoked or its token
 * expires: a live stream lasts no longer than the right to read it.
 */
export function streamLifetime(
  ctx: Pick<Context, 'sessions'> & { claims: AccessClaims },
  signal: AbortSignal | undefined,
): { signal: AbortSignal; end(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal?.addEventListener('abort', stop, { once: true });
  const unwatch = ctx.sessions.watch(ctx.claims.sessionId, stop);
  const timer = setTimeout(stop, Math.max(0, ctx.claims.expiresAt.getTime() - Date.now()));
  return {
    signal: controller.signal,
    end: () => {
      clearTimeout(timer);
      unwatch();
      signal?.removeEventListener('abort', stop);
    },
  };
}
