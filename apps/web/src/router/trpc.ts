import type { AccessClaims, TokenVerifier } from '@guardian/auth';
import { isDomainError } from '@guardian/domain';
import type { Logger } from '@guardian/logger';
import { initTRPC, TRPCError } from '@trpc/server';
import type { HealthStatus } from '@guardian/grpc-kit';

/** What procedures may use; built without an HTTP request so tests can call `createCaller`. */
export interface ContextInner {
  logger: Logger;
  verifier: TokenVerifier;
  /** The caller's Bearer token, when one was sent. */
  accessToken: string | undefined;
  requestId: string;
  services: { name: string; address: string; check: () => Promise<HealthStatus> }[];
}

export const createContextInner = (inner: ContextInner) => inner;
export type Context = ReturnType<typeof createContextInner>;

const t = initTRPC.context<Context>().create({
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: { ...shape.data, reason: isDomainError(error.cause) ? error.cause.reason : undefined, stack: undefined },
  }),
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;

const authenticated = t.middleware(async ({ ctx, next }) => {
  if (!ctx.accessToken) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'an access token is required' });
  let claims: AccessClaims;
  try {
    claims = await ctx.verifier.verify(ctx.accessToken);
  } catch (error) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'the access token is not valid', cause: error });
  }
  return next({ ctx: { ...ctx, claims } });
});

export const protectedProcedure = t.procedure.use(authenticated);

export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.claims.role !== 'admin' && ctx.claims.role !== 'master') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'administrators only' });
  }
  return next();
});
