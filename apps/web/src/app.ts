import { EventBus, followRevocations } from '@guardian/events';
import { CachedJwks, verifyEnrollmentToken } from '@guardian/auth';
import { checkHealth, grpcJwksSource, identitySessionVerifier } from '@guardian/grpc-kit';
import type { Logger } from '@guardian/logger';
import { createMetricsRegistry, startMetricsServer, type ShutdownStep } from '@guardian/runtime';
import { createServiceClients } from './clients.js';
import type { WebConfig } from './config.js';
import { buildServer, DEFAULT_DASHBOARD_DIR } from './server.js';
import { consumerLag } from './services/consumer-lag.js';
import { LiveFeed } from './services/live-feed.js';

/**
 * web's wiring (config -> NATS, gRPC clients, session verifier -> live feed -> HTTP and metrics
 * servers), run by main.ts; answers the shutdown steps in order.
 */
export async function startWeb(config: WebConfig, logger: Logger): Promise<ShutdownStep[]> {
  const registry = createMetricsRegistry('web');
  const bus = await EventBus.connect({
    url: config.NATS_URL,
    stream: config.EVENTS_STREAM,
    prefix: config.EVENTS_SUBJECT_PREFIX,
    source: 'guardian/web',
    logger,
  });
  const clients = createServiceClients({
    identity: config.WEB_IDENTITY_ADDRESS,
    biometrics: config.WEB_BIOMETRICS_ADDRESS,
    notifier: config.WEB_NOTIFIER_ADDRESS,
    deadlineMs: config.WEB_GRPC_DEADLINE_MS,
    faceDeadlineMs: config.WEB_FACE_DEADLINE_MS,
  });
  // Signatures are remembered until the token expires (15 min at most); sessions until identity
  // revokes them (identity.session.revoked), so a revoked token stops working here at once.
  const jwks = new CachedJwks(grpcJwksSource(() => clients.auth.getJwks({})));
  const verifier = identitySessionVerifier(clients.auth, { jwks, tokenCacheTtlMs: 15 * 60_000 });
  const revocations = await followRevocations(bus, verifier, logger.child({ component: 'revocations' }));
  const services = (
    [
      ['identity', config.WEB_IDENTITY_ADDRESS],
      ['biometrics', config.WEB_BIOMETRICS_ADDRESS],
      ['notifier', config.WEB_NOTIFIER_ADDRESS],
    ] as const
  ).map(([name, address]) => ({ name, address, check: () => checkHealth(address) }));

  // The one read model web keeps: login attempts for the live feed (per process, from events).
  const feed = new LiveFeed(config.WEB_FEED_CAPACITY);
  await feed.start(bus, { backfillMs: config.WEB_FEED_BACKFILL_MS, logger });

  const server = await buildServer({
    logger,
    registry,
    context: {
      logger,
      verifier,
      sessions: verifier,
      clients,
      services,
      feed,
      consumerLag: () => consumerLag(bus),
      limits: { imageBytes: config.WEB_MAX_IMAGE_BYTES, documentBytes: config.WEB_MAX_DOCUMENT_BYTES },
    },
    isReady: () => bus.connected,
    verifyEnrollmentToken: (token) => verifyEnrollmentToken(jwks, token),
    http: {
      corsOrigins: config.WEB_CORS_ORIGINS,
      cookieSecure: config.WEB_COOKIE_SECURE,
      trustProxy: config.WEB_TRUST_PROXY,
      bodyLimitBytes: config.WEB_BODY_LIMIT_BYTES,
      maxUploadBytes: Math.max(config.WEB_MAX_IMAGE_BYTES, config.WEB_MAX_DOCUMENT_BYTES),
      rateLimits: {
        signIn: { max: config.WEB_AUTH_RATE_LIMIT, windowMs: config.WEB_AUTH_RATE_WINDOW_MS },
        upload: { max: config.WEB_UPLOAD_RATE_LIMIT, windowMs: config.WEB_RATE_WINDOW_MS },
        read: { max: config.WEB_READ_RATE_LIMIT, windowMs: config.WEB_RATE_WINDOW_MS },
      },
      dashboardDir: config.WEB_DASHBOARD_DIR ?? DEFAULT_DASHBOARD_DIR,
    },
  });
  await server.listen({ host: config.WEB_HOST, port: config.WEB_HTTP_PORT });
  // Metrics on their own port: the public one never shows request counts or internals.
  const metrics = await startMetricsServer({
    registry,
    host: config.WEB_HOST,
    port: config.METRICS_PORT,
    isReady: () => bus.connected,
  });
  logger.info({ url: `http://localhost:${(server.server.address() as { port: number }).port}` }, 'web ready');

  return [
    { name: 'http', run: () => server.close() },
    { name: 'metrics', run: () => metrics.close() },
    { name: 'live-feed', run: () => feed.stop() },
    { name: 'revocations', run: () => revocations.stop() },
    { name: 'grpc-clients', run: async () => clients.close() },
    { name: 'nats', run: () => bus.drain() },
  ];
}
