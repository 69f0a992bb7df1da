import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { systemRouter } from './system.js';
import { createCallerFactory, router } from './trpc.js';

export const appRouter = router({
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export const createCaller = createCallerFactory(appRouter);
