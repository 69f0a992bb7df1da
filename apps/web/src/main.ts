import { AccessTokenVerifier, CachedJwks } from '@guardian/auth';
import { EventBus } from '@guardian/events';
import { checkHealth, createClient } from '@guardian/grpc-kit';
import { createLogger } from '@guardian/logger';
import { closeMongo, connectMongo } from '@guardian/mongo';
import { AuthServiceClient, AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';
import { createMetricsRegistry, runService } from '@guardian/runtime';
import { loadWebConfig } from './config.js';
import { buildServer } from './server.js';

const config = loadWebConfig();
const logger = createLogger('web', { level: config.LOG_LEVEL });

runService({
  logger,
  timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: async () => {
    const registry = createMetricsRegistry('web');
    const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
    const bus = await EventBus.connect({
      url: config.NATS_URL,
      stream: config.EVENTS_STREAM,
      prefix: config.EVENTS_SUBJECT_PREFIX,
      source: 'guardian/web',
      logger,
    });
    const identity = createClient(AuthServiceClient, AuthServiceService, config.WEB_IDENTITY_ADDRESS, {
      idempotent: ['getJwks'],
    });
    const verifier = new AccessTokenVerifier(
      new CachedJwks(async () => {
        const { jwks } = await identity.getJwks({});
        return { keys: (jwks?.keys ?? []).map((key) => ({ ...key })) };
      }),
    );
    const services = (
      [
        ['identity', config.WEB_IDENTITY_ADDRESS],
        ['biometrics', config.WEB_BIOMETRICS_ADDRESS],
        ['notifier', config.WEB_NOTIFIER_ADDRESS],
      ] as const
    ).map(([name, address]) => ({ name, address, check: () => checkHealth(address) }));

    const server = await buildServer({
      logger,
      registry,
      context: { logger, verifier, services },
      isReady: () => bus.connected && mongo.readyState === 1,
    });
    await server.listen({ host: config.WEB_HOST, port: config.WEB_HTTP_PORT });
    logger.info({ url: `http://localhost:${(server.server.address() as { port: number }).port}` }, 'web ready');

    return [
      { name: 'http', run: () => server.close() },
      { name: 'grpc-clients', run: () => identity.close() },
      { name: 'nats', run: () => bus.drain() },
      { name: 'mongo', run: () => closeMongo(mongo) },
    ];
  },
});
