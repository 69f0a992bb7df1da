import { newRequestId, requestIdFrom, REQUEST_ID_KEY, type Logger } from '@guardian/logger';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import Fastify from 'fastify';
import type { Registry } from 'prom-client';
import { appRouter, type AppRouter } from './router/root.js';
import { createContextInner, type ContextInner } from './router/trpc.js';

export interface ServerDeps {
  logger: Logger;
  registry: Registry;
  context: Omit<ContextInner, 'accessToken' | 'requestId'>;
  /** Readiness of the BFF's own dependencies (NATS, MongoDB). */
  isReady: () => boolean;
  bodyLimitBytes?: number;
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

/** The BFF's HTTP server: tRPC under /trpc, operator endpoints /healthz, /readyz, /metrics. */
export async function buildServer(deps: ServerDeps) {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024,
    genReqId: (req) => requestIdFrom(req.headers[REQUEST_ID_KEY] ?? newRequestId()),
    disableRequestLogging: false,
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const ready = deps.isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready' });
  });
  app.get('/metrics', async (_req, reply) =>
    reply.header('content-type', deps.registry.contentType).send(await deps.registry.metrics()),
  );

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext: ({ req }) =>
        createContextInner({ ...deps.context, accessToken: bearer(req.headers.authorization), requestId: String(req.id) }),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') deps.logger.error({ err: error, path }, 'tRPC procedure failed');
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });
  return app;
}
