import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { adminRouter } from './admin.js';
import { authRouter } from './auth.js';
import { biometricsRouter } from './biometrics.js';
import { meRouter } from './me.js';
import { systemRouter } from './system.js';
import { createCallerFactory, router } from './trpc.js';
import { verificationRouter } from './verification.js';

export const appRouter = router({
  system: systemRouter,
  auth: authRouter,
  me: meRouter,
  biometrics: biometricsRouter,
  verification: verificationRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export const createCaller = createCallerFactory(appRouter);
