import type {} from '@fastify/cookie';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const COOKIE = { access: 'guardian_at', refresh: 'guardian_rt', csrf: 'guardian_csrf' } as const;
export const CSRF_HEADER = 'x-csrf-token';

/** Headers every response carries (the dashboard loads nothing from other origins). */
export function securityHeaders(reply: FastifyReply, options: { hsts: boolean }): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  reply.header('permissions-policy', 'camera=(self), microphone=(), geolocation=()');
  reply.header(
    'content-security-policy',
    [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      "media-src 'self' blob:",
      "connect-src 'self'",
      "frame-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
  );
  if (options.hsts) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
}

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

/**
 * Double-submit CSRF check: a state-changing request that authenticates with the dashboard's
 * cookies (and not with a Bearer token) must echo the CSRF cookie in `x-csrf-token`. Only a Bearer
 * token skips it: a browser never adds one by itself, while it may send other Authorization forms
 * (Basic credentials it remembers) along with the cookies.
 */
export function csrfViolation(request: FastifyRequest): boolean {
  if (SAFE_METHODS.includes(request.method)) return false;
  if (bearerToken(request.headers.authorization)) return false;
  const cookies = request.cookies;
  if (!cookies[COOKIE.access] && !cookies[COOKIE.refresh]) return false;
  const expected = cookies[COOKIE.csrf];
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

/** The procedures that sign in or create credentials: each counts against the per-IP budget. */
export const SIGN_IN_PROCEDURES: ReadonlySet<string> = new Set([
  'auth.login',
  'auth.register',
  'auth.faceOnlyRegister',
  'auth.faceOnlyEnroll',
  'auth.faceLogin',
  'auth.refresh',
]);

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

/**
 * Fixed-window counter per client IP (per process; behind several replicas each has its own budget,
 * and identity's per-account and per-IP throttles stay the real brute-force guard).
 */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private lastSweep = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request; returns the ms to wait when over the budget. */
  hit(key: string): { allowed: true } | { allowed: false; retryAfterMs: number } {
    const now = this.now();
    this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return window.count <= this.limit
      ? { allowed: true }
      : { allowed: false, retryAfterMs: window.resetAt - now };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}
