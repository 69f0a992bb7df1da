import type {} from '@fastify/cookie';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export const COOKIE = { access: 'guardian_at', refresh: 'guardian_rt', csrf: 'guardian_csrf' } as const;
export const CSRF_HEADER = 'x-csrf-token';

/**
 * Security headers (via @fastify/helmet in server.ts): the dashboard loads nothing from other
 * origins and no page may frame it.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  mediaSrc: ["'self'", 'blob:'],
  connectSrc: ["'self'"],
  frameSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const safeEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** `Authorization: Bearer <token>` -> the token; any other form (Basic, a bare token) -> undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'];

/** Which cookies hold a session and which its CSRF token (the dashboard's, or a compatibility profile's). */
export interface CsrfCookies {
  session: readonly string[];
  csrf: string;
}
const DASHBOARD_COOKIES: CsrfCookies = { session: [COOKIE.access, COOKIE.refresh], csrf: COOKIE.csrf };

/**
 * Double-submit CSRF check: a state-changing request that authenticates with the dashboard's
 * cookies (and not with a Bearer token) must echo the CSRF cookie in `x-csrf-token`. Only a Bearer
 * token skips it: a browser never adds one by itself, while it may send other Authorization forms
 * (Basic credentials it remembers) along with the cookies.
 */
export function csrfViolation(request: FastifyRequest, names: CsrfCookies = DASHBOARD_COOKIES): boolean {
  if (SAFE_METHODS.includes(request.method)) return false;
  if (bearerToken(request.headers.authorization)) return false;
  const cookies = request.cookies;
  if (!names.session.some((name) => cookies[name])) return false;
  const expected = cookies[names.csrf];
  const sent = request.headers[CSRF_HEADER];
  return !expected || typeof sent !== 'string' || !safeEqual(expected, sent);
}

/**
 * Login CSRF and other cross-site writes: a state-changing request without a Bearer token that a
 * browser says comes from another site (`Sec-Fetch-Site`, or an `Origin` that is neither this
 * server's nor an allowed CORS origin) is refused, even when it carries no cookie yet (a cross-site
 * form must not sign the victim into the attacker's account). Clients that are not browsers send
 * neither header and are not affected.
 */
export function crossSiteWrite(request: FastifyRequest, allowedOrigins: readonly string[]): boolean {
  if (SAFE_METHODS.includes(request.method)) return false;
  if (bearerToken(request.headers.authorization)) return false;
  const origin = request.headers.origin;
  const allowed = origin !== undefined && allowedOrigins.includes(origin);
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none' && !allowed) return true;
  if (origin === undefined) return false;
  return origin !== `${request.protocol}://${request.host}` && !allowed;
}

/** The fastify route of the tRPC adapter (`/trpc/:path`; `path` is a procedure or a comma-separated batch). */
export const TRPC_ROUTE = '/trpc/:path';

/**
 * The procedures a request reaches, as the router matched it (percent-decoded: `/api/auth/%6cogin`
 * is the login route, `/%74rpc/auth.login` the login procedure), never as its raw URL reads. REST
 * routes name their procedure in their route config.
 */
export function matchedProcedures(request: FastifyRequest): string[] {
  const procedure = (request.routeOptions.config as { procedure?: unknown } | undefined)?.procedure;
  if (typeof procedure === 'string') return [procedure];
  if (request.routeOptions.url === TRPC_ROUTE) {
    const path = (request.params as { path?: unknown } | undefined)?.path;
    return typeof path === 'string' ? path.split(',') : [];
  }
  return [];
}
