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
  ping: publicProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/system/ping',
        summary: 'Liveness of the API',
        tag: 'system',
        public: true,
      },
    })
    .query(() => ({ status: 'ok' as const })),

  /** Each service's gRPC health (and inference, consumer lag), for the dashboard's system page. */
  status: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/system/status',
        summary: 'Health of the services and the event consumers (admins)',
      },
    })
    .query(({ ctx }) => systemStatus(ctx)),
});
