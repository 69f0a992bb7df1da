import type {} from '@fastify/cookie';
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IssuedTokens, SessionStore } from '../router/trpc.js';
import { COOKIE } from './security.js';

/** The dashboard's session in cookies: HttpOnly access and refresh tokens, a readable CSRF token. */
export function cookieSession(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { secure: boolean },
): SessionStore {
  const secure = options.secure || request.protocol === 'https';
  const base = { path: '/', sameSite: 'strict' as const, secure };
  const maxAge = (until: Date | undefined, fallbackSec: number) =>
    until ? Math.max(1, Math.floor((until.getTime() - Date.now()) / 1000)) : fallbackSec;
  return {
    refreshToken: request.cookies[COOKIE.refresh],
    set(tokens: IssuedTokens) {
      const csrfToken = randomBytes(24).toString('base64url');
      reply.setCookie(COOKIE.access, tokens.accessToken, {
        ...base,
        httpOnly: true,
        maxAge: maxAge(tokens.accessTokenExpiresAt, 900),
      });
      const refreshAge = maxAge(tokens.refreshTokenExpiresAt, 14 * 24 * 3600);
      reply.setCookie(COOKIE.refresh, tokens.refreshToken, { ...base, httpOnly: true, maxAge: refreshAge });
      reply.setCookie(COOKIE.csrf, csrfToken, { ...base, httpOnly: false, maxAge: refreshAge });
      return { csrfToken };
    },
    clear() {
      for (const name of Object.values(COOKIE)) reply.clearCookie(name, base);
    },
  };
}
