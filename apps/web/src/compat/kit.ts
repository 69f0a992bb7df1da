/**
 * Compatibility profiles: the documented APIs of the systems Guardian replaces
 * (`../shared/origins/`), each under `/compat/<profile>/`, as thin adapters over the same
 * procedures the REST mirror calls (`createCaller`): no rule is implemented twice. A profile owns
 * only its paths, field names, envelope, status codes, messages and auth-header form; where its
 * origin was unsafe, the procedure's answer wins and the profile's README says how it differs.
 */
import { randomBytes } from 'node:crypto';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { isDomainError } from '@guardian/domain';
import { TRPCError } from '@trpc/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readMultipart } from '../http/multipart.js';
import { bearerToken, csrfViolation } from '../http/security.js';
import { errorFacts, publicMessage, toTRPCError } from '../router/errors.js';
import { createCaller } from '../router/root.js';
import { noSession, type Context, type SessionStore } from '../router/trpc.js';

export type Caller = ReturnType<typeof createCaller>;
export type Body = Record<string, unknown>;

export interface CompatCall {
  body: Body;
  params: Record<string, string>;
  query: Record<string, string>;
  /** The token the origin's auth header carried (see `CompatProfile.auth`). */
  token: string | undefined;
  /** Guardian's procedures, as the caller (with that token). */
  caller: Caller;
  /** A caller with another token (e.g. the one a sign-in just issued). */
  callerWith(token: string): Caller;
  /**
   * The profile's session cookie (`CompatProfile.sessionCookie`): `set` keeps a sign-in's access
   * token in it and answers the CSRF token, `clear` empties it. Does nothing without one.
   */
  session: SessionStore;
}

export interface CompatAnswer {
  status?: number;
  body: unknown;
}

export interface CompatRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Below the profile's prefix, fastify syntax (`/users/:id`). */
  path: string;
  summary: string;
  /** The procedure whose rate-limit tier applies (sign-in procedures: the signIn tier). */
  procedure: string;
  /** Multipart file fields this route takes: field name -> body key (`[]`: a list). */
  files?: Record<string, string>;
  /**
   * A sign-in: the session cookie only tells it the client is signed in already (it changes
   * nothing with it), so a write here is not asked for the cookie's CSRF proof.
   */
  sessionReadOnly?: boolean;
  handle(call: CompatCall): Promise<CompatAnswer>;
}

/** Guardian's refusal as a profile sees it: the HTTP status, the reason code and the message. */
export interface Refusal {
  status: number;
  reason: string;
  message: string;
  /** Raised by the profile itself (`CompatError`): the message is already in the origin's words. */
  own?: true;
}

export interface CompatProfile {
  /** The URL segment: `/compat/<name>/...`. */
  name: string;
  /** One line for the OpenAPI tag. */
  title: string;
  /**
   * How the origin's clients send their token: `bearer` (`Authorization: Bearer <jwt>`) or `raw`
   * (`Authorization: <jwt>`; `Bearer <jwt>` is accepted too).
   */
  auth: 'bearer' | 'raw';
  /**
   * The origin kept signed-in clients in a cookie (they replay a cookie jar): the name of an
   * HttpOnly cookie, SameSite=Strict and scoped to the profile's prefix, that carries the access
   * token when no auth header does (`call.session` fills and clears it). A write it authenticates
   * needs the CSRF proof the dashboard's cookies need: the `<name>_csrf` cookie echoed in
   * `x-csrf-token` (security.ts `csrfViolation`); a Bearer header needs none.
   */
  sessionCookie?: string;
  routes: CompatRoute[];
  /** The origin's error answer for a refusal (its envelope, status and language). */
  error(refusal: Refusal): CompatAnswer;
}

/** A refusal a profile raises itself (an origin's own validation, in its words). */
export class CompatError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Any error as a refusal: Guardian's status and reason; internal errors keep their text inside. */
export function refusalOf(error: unknown): Refusal {
  if (error instanceof CompatError)
    return { status: error.status, reason: error.reason, message: error.message, own: true };
  const trpc =
    error instanceof TRPCError
      ? error
      : isDomainError(error)
        ? toTRPCError(error)
        : new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: error });
  return {
    status: getHTTPStatusCodeFromError(trpc),
    reason: errorFacts(trpc).reason,
    message: publicMessage(trpc),
  };
}

function headerTokenOf(request: FastifyRequest, auth: CompatProfile['auth']): string | undefined {
  const header = request.headers.authorization;
  const bearer = bearerToken(header);
  if (bearer) return bearer;
  if (auth === 'raw' && typeof header === 'string' && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(header.trim()))
    return header.trim();
  return undefined;
}

const csrfCookieOf = (sessionCookie: string) => `${sessionCookie}_csrf`;

/** The profile's session cookie as a SessionStore (only the access token: it lives as long as it). */
function profileSession(
  request: FastifyRequest,
  reply: FastifyReply,
  profile: CompatProfile,
  cookieSecure: boolean,
): SessionStore {
  const name = profile.sessionCookie;
  if (!name) return noSession;
  const base = {
    path: compatPrefix(profile),
    sameSite: 'strict' as const,
    secure: cookieSecure || request.protocol === 'https',
  };
  return {
    refreshToken: undefined,
    set(tokens) {
      const csrfToken = randomBytes(24).toString('base64url');
      const until = tokens.accessTokenExpiresAt;
      const maxAge = until ? Math.max(1, Math.floor((until.getTime() - Date.now()) / 1000)) : 900;
      reply.setCookie(name, tokens.accessToken, { ...base, httpOnly: true, maxAge });
      reply.setCookie(csrfCookieOf(name), csrfToken, { ...base, httpOnly: false, maxAge });
      return { csrfToken };
    },
    // The session cookie last: curl 7.88 drops only the last of the cookies one answer expires from
    // its jar (a stale CSRF cookie there is harmless, a session cookie is not).
    clear() {
      reply.clearCookie(csrfCookieOf(name), base);
      reply.clearCookie(name, { ...base, httpOnly: true });
    },
  };
}

/** The token of a request: the auth header's, or the profile's session cookie (then CSRF-checked). */
function tokenOf(request: FastifyRequest, profile: CompatProfile, route: CompatRoute): string | undefined {
  const header = headerTokenOf(request, profile.auth);
  const name = profile.sessionCookie;
  if (header || !name || !request.cookies[name]) return header;
  const names = { session: [name], csrf: csrfCookieOf(name) };
  if (!route.sessionReadOnly && csrfViolation(request, names))
    throw new CompatError(
      403,
      'CSRF_TOKEN_INVALID',
      `A write signed in by cookie must echo the ${names.csrf} cookie in x-csrf-token (or send the token as Authorization: Bearer).`,
    );
  return request.cookies[name];
}

/**
 * Runs a handler and answers its refusals with `answer` (for a profile that words refusals per
 * call). Guardian's own 5xx (a service down, a bug) go on to the kit, which logs them before the
 * profile's `error` words them; a profile's own refusal (`CompatError`) is answered whatever its status.
 */
export async function answeringWith(
  answer: (refusal: Refusal) => CompatAnswer,
  run: () => Promise<CompatAnswer>,
): Promise<CompatAnswer> {
  try {
    return await run();
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal.status >= 500 && !refusal.own) throw error;
    return answer(refusal);
  }
}

type CreateContext = (request: FastifyRequest, reply: FastifyReply, accessToken?: string) => Context;

export const compatPrefix = (profile: Pick<CompatProfile, 'name'>) => `/compat/${profile.name}`;

export async function registerCompat(
  app: FastifyInstance,
  createContext: CreateContext,
  profiles: readonly CompatProfile[],
  /** WEB_COOKIE_SECURE: session cookies are Secure even when the request came in over http. */
  options: { cookieSecure: boolean } = { cookieSecure: false },
): Promise<void> {
  await app.register(async (scope) => {
    // Multipart is parsed in this scope only (the REST mirror registers its own).
    await scope.register((await import('@fastify/multipart')).default, {
      limits: { fileSize: 10 * 1024 * 1024, files: 5, fields: 20, parts: 30, fieldSize: 64 * 1024 },
    });
    for (const profile of profiles)
      for (const route of profile.routes) {
        scope.route({
          method: route.method,
          url: `${compatPrefix(profile)}${route.path}`,
          config: { procedure: route.procedure },
          handler: async (request, reply) => {
            try {
              const token = tokenOf(request, profile, route);
              let body: Body = {};
              if (request.isMultipart()) body = await readMultipart(request, route.files ?? {});
              else if (request.body && typeof request.body === 'object') body = { ...(request.body as Body) };
              const callerWith = (t: string | undefined) =>
                createCaller(createContext(request, reply, t ?? ''));
              const answer = await route.handle({
                body,
                params: { ...(request.params as Record<string, string>) },
                query: { ...(request.query as Record<string, string>) },
                token,
                caller: callerWith(token),
                callerWith,
                session: profileSession(request, reply, profile, options.cookieSecure),
              });
              return reply.code(answer.status ?? 200).send(answer.body);
            } catch (error) {
              const refusal = refusalOf(error);
              if (refusal.status >= 500) request.log.error({ err: error }, 'compat operation failed');
              const answer = profile.error(refusal);
              return reply.code(answer.status ?? refusal.status).send(answer.body);
            }
          },
        });
      }
  });
}

/** A compat route's request body: JSON, and multipart with its file fields where it takes files. */
const compatContent = (files: Record<string, string> | undefined) => ({
  'application/json': { schema: { type: 'object' } },
  ...(files
    ? {
        'multipart/form-data': {
          schema: {
            type: 'object',
            properties: Object.fromEntries(
              Object.keys(files).map((field) => [field, { type: 'string', format: 'binary' }]),
            ),
          },
        },
      }
    : {}),
});

/** The profiles' operations for the OpenAPI document, each profile under its own tag. */
export function compatOpenApiPaths(profiles: readonly CompatProfile[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const profile of profiles)
    for (const route of profile.routes) {
      const path = `${compatPrefix(profile)}${route.path}`.replace(/:(\w+)/g, '{$1}');
      (paths[path] ??= {})[route.method.toLowerCase()] = {
        operationId: `compat_${profile.name}_${route.method}_${route.path}`.replace(/[^\w]+/g, '_'),
        summary: route.summary,
        tags: [`compat: ${profile.name}`],
        parameters: [...route.path.matchAll(/:(\w+)/g)].map((m) => ({
          name: m[1],
          in: 'path',
          required: true,
          schema: { type: 'string' },
        })),
        ...(route.method === 'GET' || route.method === 'DELETE'
          ? {}
          : { requestBody: { content: compatContent(route.files) } }),
        responses: { default: { description: `The ${profile.title} envelope` } },
      };
    }
  return {
    paths,
    tags: profiles.map((p) => ({ name: `compat: ${p.name}`, description: p.title })),
  };
}
