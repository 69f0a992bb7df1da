import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import { DomainError } from '@guardian/domain';
import { newRequestId, requestIdFrom, REQUEST_ID_KEY, type Logger } from '@guardian/logger';
import { TRPCError } from '@trpc/server';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { Histogram, type Registry } from 'prom-client';
import { registerDocs } from './http/docs.js';
import { openApiDocument, registerRest, restError } from './http/rest.js';
import {
  bearerToken,
  CONTENT_SECURITY_POLICY,
  COOKIE,
  crossSiteWrite,
  csrfViolation,
  matchedProcedures,
  TRPC_ROUTE,
} from './http/security.js';
import { cookieSession } from './http/session.js';
import { registerVideoUpload } from './http/video-upload.js';
import { registerCompat } from './compat/kit.js';
import { COMPAT_PROFILES } from './compat/index.js';
import { errorFacts, toTRPCError } from './router/errors.js';
import { appRouter, PROCEDURE_DEFS, type AppRouter } from './router/root.js';
import { createContextInner, type Context, type ContextDeps, type RateLimitTier } from './router/trpc.js';

export interface HttpOptions {
  corsOrigins: readonly string[];
  cookieSecure: boolean;
  /** false, or the proxies' addresses/CIDRs, comma-separated (never `true`: see config.ts). */
  trustProxy: false | string;
  bodyLimitBytes: number;
  maxUploadBytes: number;
  /** Requests per client IP and window, per tier (procedures declare theirs: `.meta({ rateLimit })`). */
  rateLimits: Record<RateLimitTier, { max: number; windowMs: number }>;
  /** The built dashboard (index.html + assets); a notice page is served when it is missing. */
  dashboardDir: string;
}

export interface ServerDeps {
  logger: Logger;
  registry: Registry;
  context: ContextDeps;
  /** Readiness of the BFF's own dependencies (NATS, MongoDB). */
  isReady: () => boolean;
  /** Verifies identity's enrollment tokens (face-only enrollment), so photos are read only after it. */
  verifyEnrollmentToken: (token: string) => Promise<unknown>;
  http?: Partial<HttpOptions>;
}

export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../dist/', import.meta.url));

/** A procedure's rate-limit tier, as declared beside it (`read` when it declares none or is unknown). */
const tierOf = (name: string): RateLimitTier => PROCEDURE_DEFS.get(name)?.meta?.rateLimit ?? 'read';

/** A metrics label for a tRPC call: known procedure names only (bounded cardinality). */
function trpcRoute(names: string[]): string {
  return names.length > 0 && names.every((name) => PROCEDURE_DEFS.has(name))
    ? `/trpc/${names.join(',')}`
    : '/trpc/(unknown)';
}

/** A tRPC-shaped error body for answers given before tRPC runs (rate limit, CSRF, batches). */
const trpcEnvelope = (
  code: string,
  httpStatus: number,
  reason: string,
  message: string,
  extra: Record<string, unknown> = {},
) => ({
  error: {
    message,
    code:
      ({ 400: -32600, 403: -32003, 413: -32013, 429: -32029 } as Record<number, number>)[httpStatus] ??
      -32603,
    data: { code, httpStatus, reason, ...extra },
  },
});

/**
 * The BFF's HTTP server: tRPC under /trpc, the REST mirror under /api (+ /api/openapi.json,
 * /api/docs), the dashboard at /, probes /healthz and /readyz. Metrics are served by main.ts on
 * METRICS_PORT, not here.
 */
export async function buildServer(deps: ServerDeps) {
  const http: HttpOptions = {
    corsOrigins: [],
    cookieSecure: false,
    trustProxy: false,
    bodyLimitBytes: 12 * 1024 * 1024,
    maxUploadBytes: 10 * 1024 * 1024,
    rateLimits: {
      signIn: { max: 30, windowMs: 60_000 },
      upload: { max: 60, windowMs: 60_000 },
      read: { max: 1_200, windowMs: 60_000 },
    },
    dashboardDir: DEFAULT_DASHBOARD_DIR,
    ...deps.http,
  };
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: http.bodyLimitBytes,
    trustProxy: http.trustProxy,
    genReqId: (req) => requestIdFrom(req.headers[REQUEST_ID_KEY] ?? newRequestId()),
    // One access-log line per request (onResponse below) instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // URLs the router cannot take apart (a malformed escape, a path segment over 100 characters)
    // answer in Guardian's envelope with a reason, never fastify's text echoing the URL.
    frameworkErrors: (error, request, frameworkReply) => {
      const reply = frameworkReply as unknown as FastifyReply;
      const code = (error as { code?: string }).code;
      const [reason, message] =
        code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? ['PATH_SEGMENT_TOO_LONG', 'A path segment of this URL is too long.']
          : ['BAD_URL', 'This URL cannot be read.'];
      if (request.url.startsWith(`${TRPC_ROUTE.split('/:')[0]}/`))
        void reply.code(400).send(trpcEnvelope('BAD_REQUEST', 400, reason, message));
      else void restError(reply, toTRPCError(new DomainError('invalid', reason, message)), request.log);
    },
  });
  // Before any plugin: child scopes copy the handler when they are registered.
  app.setErrorHandler((error, request, reply) => {
    const statusCode = (error as { statusCode?: number }).statusCode ?? 500;
    if (statusCode === 413 || (error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      if (request.routeOptions.url === TRPC_ROUTE) {
        return reply
          .code(413)
          .send(trpcEnvelope('PAYLOAD_TOO_LARGE', 413, 'PAYLOAD_TOO_LARGE', 'The request is too large.'));
      }
      return restError(
        reply,
        new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.' }),
        request.log,
      );
    }
    if (statusCode === 415)
      return restError(
        reply,
        new TRPCError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: (error as Error).message }),
        request.log,
      );
    return restError(reply, error, request.log);
  });
  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: http.cookieSecure ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
  // Limits are applied by the edge hook below (tier of the matched procedure), not per fastify route.
  await app.register(fastifyRateLimit, { global: false });
  const limiters = Object.fromEntries(
    (Object.keys(http.rateLimits) as RateLimitTier[]).map((tier) => [
      tier,
      app.createRateLimit({
        max: http.rateLimits[tier].max,
        timeWindow: http.rateLimits[tier].windowMs,
        keyGenerator: (request) => `${tier}:${request.ip}`,
      }),
    ]),
  ) as Record<RateLimitTier, ReturnType<typeof app.createRateLimit>>;
  await app.register(fastifyCors, {
    origin: (origin, callback) =>
      callback(null, origin === undefined ? false : http.corsOrigins.includes(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'upload-offset',
      'tus-resumable',
      'content-type',
      'authorization',
      'x-csrf-token',
      'x-request-id',
      'trpc-accept',
      'last-event-id',
    ],
    exposedHeaders: ['retry-after', 'x-request-id', 'upload-offset', 'upload-length', 'tus-resumable'],
    maxAge: 600,
  });

  const durations = new Histogram({
    name: 'web_http_request_duration_seconds',
    help: 'HTTP requests handled by the BFF, by route (tRPC procedure or REST path) and status',
    labelNames: ['route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [deps.registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route =
      request.routeOptions.url === TRPC_ROUTE
        ? trpcRoute(matchedProcedures(request))
        : (request.routeOptions.url ?? 'unmatched');
    durations.observe({ route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    request.log.info(
      {
        method: request.method,
        url: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });

  // Decisions on the route the router matched (routing runs before onRequest), never the raw URL.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('permissions-policy', 'camera=(self), microphone=(), geolocation=()');
    reply.header(REQUEST_ID_KEY, String(request.id));
    const isTrpc = request.routeOptions.url === TRPC_ROUTE;
    const refuse = (
      status: number,
      code: string,
      reason: string,
      message: string,
      extra: Record<string, unknown> = {},
    ) =>
      reply
        .code(status)
        .send(
          isTrpc
            ? trpcEnvelope(code, status, reason, message, extra)
            : { error: { status, code, reason, message, ...extra } },
        );
    if (request.method === 'OPTIONS') return undefined;
    const tiers = matchedProcedures(request).map(tierOf);
    // A batch would make many guesses count as one request: sign-in procedures go alone.
    if (tiers.length > 1 && tiers.includes('signIn'))
      return refuse(
        400,
        'BAD_REQUEST',
        'BATCH_NOT_ALLOWED',
        'Sign-in procedures cannot be batched: call each one on its own.',
      );
    // Every procedure of a batch counts.
    for (const tier of tiers) {
      const verdict = await limiters[tier](request);
      if (!verdict.isAllowed && verdict.isExceeded) {
        const seconds = Math.max(1, verdict.ttlInSeconds);
        reply.header('retry-after', String(seconds));
        const message =
          tier === 'signIn'
            ? `Too many attempts from your network. Try again in ${seconds} s.`
            : `Too many requests from your network. Try again in ${seconds} s.`;
        return refuse(429, 'TOO_MANY_REQUESTS', 'RATE_LIMITED', message, { retryAfterMs: verdict.ttl });
      }
    }
    if (crossSiteWrite(request, http.corsOrigins))
      return refuse(
        403,
        'FORBIDDEN',
        'CROSS_SITE_REQUEST',
        'This request came from another site. Use Guardian from its own pages, or send a Bearer token.',
      );
    if (csrfViolation(request))
      return refuse(
        403,
        'FORBIDDEN',
        'CSRF_TOKEN_INVALID',
        'The request is missing its CSRF token. Reload the page and try again.',
      );
    return undefined;
  });

  /** `accessToken`: a token the route read itself (compatibility profiles' header forms); no cookie then. */
  const createContext = (request: FastifyRequest, reply: FastifyReply, accessToken?: string): Context => {
    const header =
      accessToken === undefined ? bearerToken(request.headers.authorization) : accessToken || undefined;
    const cookie = header || accessToken !== undefined ? undefined : request.cookies[COOKIE.access];
    return createContextInner({
      ...deps.context,
      accessToken: header ?? cookie,
      authVia: header ? 'bearer' : cookie ? 'cookie' : undefined,
      requestId: String(request.id),
      client: { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '').slice(0, 512) },
      session: cookieSession(request, reply, { secure: http.cookieSecure }),
    });
  };

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const ready = deps.isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready' });
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext: ({ req, res }) => createContext(req, res),
      responseMeta: ({ errors }) => {
        const retryAfterMs = errors
          .map((error) => errorFacts(error).retryAfterMs)
          .find((ms) => ms !== undefined);
        return retryAfterMs ? { headers: { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) } } : {};
      },
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR')
          deps.logger.error({ err: error, path }, 'tRPC procedure failed');
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });

  // REST mirror + its description and docs page.
  app.get('/api/openapi.json', async (request) =>
    openApiDocument({ serverUrl: `${request.protocol}://${request.host}` }),
  );
  registerDocs(app as unknown as FastifyInstance);
  await registerRest(app as unknown as FastifyInstance, {
    createContext,
    maxFileBytes: http.maxUploadBytes,
    verifyBodyToken: deps.verifyEnrollmentToken,
  });

  await registerVideoUpload(app as unknown as FastifyInstance, createContext);
  await registerCompat(app as unknown as FastifyInstance, createContext, COMPAT_PROFILES, {
    cookieSecure: http.cookieSecure,
  });

  // The dashboard (single-page app): files from the build, index.html for client-side routes.
  const built = existsSync(`${http.dashboardDir}/index.html`);
  if (built)
    await app.register(fastifyStatic, {
      root: http.dashboardDir,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
    });
  app.setNotFoundHandler(async (request, reply) => {
    const apiPath = request.url.startsWith('/api/') || request.url.startsWith('/trpc/');
    if (request.method === 'GET' && !apiPath && !/\.\w+$/.test(request.url.split('?')[0] ?? '')) {
      if (built) return reply.type('text/html; charset=utf-8').sendFile('index.html');
      return reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>Guardian</title><p>The dashboard is not built. Run <code>npm run build -w @guardian/web</code>. The API is at <a href="/api/docs">/api/docs</a>.</p>',
        );
    }
    return restError(
      reply.code(404),
      new TRPCError({
        code: 'NOT_FOUND',
        message: `No route ${request.method} ${request.url.split('?')[0]}`,
      }),
      request.log,
    );
  });
  return app;
}
