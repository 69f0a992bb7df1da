import { adminProcedure, publicProcedure, router } from './trpc.js';

export const systemRouter = router({
  /** Liveness of the BFF itself (no dependencies), for clients and load balancers. */
  ping: publicProcedure.query(() => ({ status: 'ok' as const })),

  /** Each service's gRPC health, for the dashboard's system page. */
  status: adminProcedure.query(async ({ ctx }) => {
    const services = await Promise.all(
      ctx.services.map(async (service) => ({ name: service.name, address: service.address, health: await service.check() })),
    );
    return { services };
  }),
});
