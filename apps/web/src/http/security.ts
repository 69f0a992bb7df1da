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

/**
 * Double-submit CSRF check: a state-changing request that authenticates with the dashboard's
 * cookies (and not with a Bearer header) must echo the CSRF cookie in `x-csrf-token`.
 */
export function csrfViolation(request: FastifyRequest): boolean {
  if (['GET', 'HEAD', 'OPTIONS'].includes(request.method)) return false;
  if (request.headers.authorization) return false;
  const cookies = request.cookies;
  if (!cookies[COOKIE.access] && !cookies[COOKIE.refresh]) return false;
  const expected = cookies[COOKIE.csrf];
  const sent = request.headers[CSRF_HEADER];
  return !expected || typeof sent !== 'string' || !safeEqual(expected, sent);
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

/** tRPC procedures and REST paths that count against the per-IP auth budget. */
const AUTH_PROCEDURES = new Set([
  'auth.login',
  'auth.register',
  'auth.faceOnlyRegister',
  'auth.faceLogin',
  'auth.refresh',
]);
const AUTH_PATHS = [
  '/api/auth/login',
  '/api/auth/register',
  '/api/auth/face-only-register',
  '/api/auth/face-login',
  '/api/auth/refresh',
];

export function isAuthEndpoint(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  if (path.startsWith('/trpc/')) {
    return decodeURIComponent(path.slice('/trpc/'.length))
      .split(',')
      .some((name) => AUTH_PROCEDURES.has(name));
  }
  return AUTH_PATHS.includes(path);
}
