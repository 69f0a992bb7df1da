import { describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { bearerToken, crossSiteWrite, csrfViolation } from './security.js';

const request = (r: {
  method?: string;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
}) =>
  ({
    method: r.method ?? 'POST',
    headers: r.headers ?? {},
    cookies: r.cookies ?? {},
    protocol: 'https',
    host: 'guardian.example',
  }) as unknown as FastifyRequest;

describe('security', () => {
  describe('bearerToken', () => {
    it('takes only the Bearer form', () => {
      expect(bearerToken('Bearer abc.def')).toBe('abc.def');
      expect(bearerToken('bearer  abc')).toBe('abc');
      expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
      expect(bearerToken('abc.def')).toBeUndefined();
      expect(bearerToken(undefined)).toBeUndefined();
    });
  });

  describe('csrfViolation', () => {
    const cookies = { guardian_at: 'token', guardian_csrf: 'csrf-1' };
    it('lets only a Bearer token skip the double-submit check of a cookie session', () => {
      expect(csrfViolation(request({ cookies }))).toBe(true);
      expect(csrfViolation(request({ cookies, headers: { 'x-csrf-token': 'csrf-1' } }))).toBe(false);
      expect(csrfViolation(request({ cookies, headers: { authorization: 'Bearer t' } }))).toBe(false);
      expect(csrfViolation(request({ cookies, headers: { authorization: 'Basic dXNlcjpwYXNz' } }))).toBe(
        true,
      );
      expect(csrfViolation(request({ cookies, method: 'GET' }))).toBe(false);
    });
  });

  describe('crossSiteWrite', () => {
    it('refuses writes a browser marks as cross-site, unless from an allowed origin or with a Bearer token', () => {
      const allowed = ['https://app.example'];
      const from = (headers: Record<string, string>, method = 'POST') =>
        crossSiteWrite(request({ method, headers }), allowed);
      expect(from({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).toBe(true);
      expect(from({ origin: 'https://evil.example' })).toBe(true);
      expect(from({ 'sec-fetch-site': 'cross-site' })).toBe(true);
      expect(from({ origin: 'null' })).toBe(true);
      expect(from({ origin: 'https://guardian.example', 'sec-fetch-site': 'same-origin' })).toBe(false);
      expect(from({ origin: 'https://app.example', 'sec-fetch-site': 'cross-site' })).toBe(false);
      expect(from({ origin: 'https://evil.example', authorization: 'Bearer t' })).toBe(false);
      expect(from({ origin: 'https://evil.example' }, 'GET')).toBe(false);
      expect(from({})).toBe(false);
    });
  });
});
