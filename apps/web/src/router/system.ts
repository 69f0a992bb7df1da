import { isDomainError } from '@guardian/domain';
import { json } from './json.js';
import { adminProcedure, callOptions, publicProcedure, router, type Context } from './trpc.js';

/** Each service's health, biometrics' inference figures and the JetStream consumers' lag. */
export async function systemStatus(ctx: Context) {
  const [services, inference, consumers] = await Promise.all([
    Promise.all(
      ctx.services.map(async (service) => ({
        name: service.name,
        address: service.address,
        health: await service.check(),
      })),
    ),
    ctx.clients.faces.getStatus({}, callOptions(ctx)).then(
      (status) => json(status),
      (error: unknown) => {
        if (isDomainError(error)) return null;
        throw error;
      },
    ),
    ctx.consumerLag().catch(() => []),
  ]);
  return {
    services,
    inference,
    consumers,
    feed: { rows: ctx.feed.size },
    checkedAt: new Date().toISOString(),
  };
}

export const systemRouter = router({
  /** Liveness of the BFF itself (no dependencies), for clients and load balancers. */
  ping: publicProcedure.query(() => ({ status: 'ok' as const })),

  /** Each service's gRPC health (and inference, consumer lag), for the dashboard's system page. */
  status: adminProcedure.query(({ ctx }) => systemStatus(ctx)),
});
