import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { adminRouter } from './admin.js';
import { authRouter } from './auth.js';
import { biometricsRouter } from './biometrics.js';
import { mediaRouter } from './media.js';
import { meRouter } from './me.js';
import { systemRouter } from './system.js';
import { createCallerFactory, router, type ProcedureMeta } from './trpc.js';
import { verificationRouter } from './verification.js';

export const appRouter = router({
  system: systemRouter,
  auth: authRouter,
  me: meRouter,
  biometrics: biometricsRouter,
  verification: verificationRouter,
  admin: adminRouter,
  media: mediaRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export const createCaller = createCallerFactory(appRouter);

/** What the edge and the REST mirror read of a procedure: its kind, declarations and input schema. */
export interface ProcedureDef {
  type: 'query' | 'mutation' | 'subscription';
  meta?: ProcedureMeta;
  inputs: unknown[];
}

/** Every procedure by its dotted name (`admin.users.list`), read from the router once. */
export const PROCEDURE_DEFS: ReadonlyMap<string, ProcedureDef> = new Map(
  Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>).map(
    ([name, procedure]) => [name, procedure._def],
  ),
);
