import { request as httpRequest } from 'node:http';
import { checkHealth, identitySessionVerifier } from '@guardian/grpc-kit';
import { freePort, startApp, testLogger, waitFor } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceClients, type ServiceClients } from '../src/clients.js';
import type { FeedEvent } from '../src/services/live-feed.js';
import { LiveFeed } from '../src/services/live-feed.js';
import { createCaller } from '../src/router/root.js';
import { createContextInner, type ContextDeps } from '../src/router/trpc.js';
import { failure, trpcClient } from './client.js';
import { MASTER, newUser, startMesh, type Mesh } from './harness.js';

/** Cookies of a response as name -> full Set-Cookie line. */
function setCookies(response: Response): Map<string, string> {
  return new Map(response.headers.getSetCookie().map((line) => [line.split('=')[0]!, line]));
}
const cookieHeader = (cookies: Map<string, string>) =>
  [...cookies.values()]
    .map((line) => line.split(';')[0])
    .filter((pair) => !pair!.endsWith('='))
    .join('; ');

describe('web tRPC API against the real services', () => {
  let mesh: Mesh;
  let masterToken: string;

  beforeAll(async () => {
    mesh = await startMesh({ withBiometrics: false });
    const login = await trpcClient(mesh.baseUrl).auth.login.mutate({
      identifier: MASTER.username,
      password: MASTER.password,
    });
    if (login.mode !== 'token') throw new Error('expected tokens');
    masterToken = login.accessToken;
  }, 200_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  describe('createCaller (context without HTTP)', () => {
    let clients: ServiceClients;
    let deps: ContextDeps;

    beforeAll(async () => {
      clients = createServiceClients(mesh.addresses);
      const sessions = identitySessionVerifier(clients.auth);
      deps = {
        logger: testLogger(),
        clients,
        verifier: sessions,
        sessions,
        services: [
          {
            name: 'identity',
            address: mesh.addresses.identity,
            check: () => checkHealth(mesh.addresses.identity),
          },
        ],
        feed: new LiveFeed(),
        consumerLag: async () => [],
        limits: { imageBytes: 1024 * 1024, documentBytes: 1024 * 1024 },
      };
    });

    afterAll(async () => {
      clients?.close();
    });

    it('signs in, creates a user as master and finds it with the actions the rules allow', async () => {
      const anonymous = createCaller(createContextInner({ ...deps, requestId: 'r1' }));
      const login = await anonymous.auth.login({ username: MASTER.username, password: MASTER.password });
      expect(login.user.role).toBe('master');
      if (login.mode !== 'token') throw new Error('expected tokens');
      const master = createCaller(
        createContextInner({ ...deps, requestId: 'r2', accessToken: login.accessToken }),
      );
      const user = newUser();
      const created = await master.admin.users.create({ ...user });
      expect(created.user).toMatchObject({ username: user.username, role: 'user', status: 'active' });
      expect(typeof created.user.createdAt).toBe('string');
      const page = await master.admin.users.list({ query: user.username });
      expect(page.users).toHaveLength(1);
      expect(page.users[0]!.allowed).toEqual({
        update: true,
        delete: true,
        setRole: true,
        unlock: true,
        activity: true,
      });
      expect(page.creatableRoles).toEqual(['user', 'admin', 'master']);
      const status = await master.system.status();
      expect(status.services[0]).toMatchObject({ name: 'identity', health: 'SERVING' });
    });

    it('keeps the reason of a DomainError and maps its kind to the HTTP status', async () => {
      const anonymous = createCaller(createContextInner({ ...deps, requestId: 'r3' }));
      const error = await anonymous.auth
        .login({ identifier: 'nobody-here', password: 'wrong password' })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'UNAUTHORIZED', cause: { reason: 'INVALID_CREDENTIALS' } });
    });
  });

  describe('over HTTP', () => {
    it('registers, signs in and reads the profile; errors carry the reason and status', async () => {
      const client = trpcClient(mesh.baseUrl);
      const user = newUser();
      const registered = await client.auth.register.mutate(user);
      expect(registered.user.username).toBe(user.username);
      expect(await failure(client.auth.register.mutate(user))).toMatchObject({
        httpStatus: 409,
        reason: 'USERNAME_TAKEN',
      });
      expect(
        await failure(client.auth.login.mutate({ identifier: user.username, password: 'not the password' })),
      ).toMatchObject({
        httpStatus: 401,
        reason: 'INVALID_CREDENTIALS',
      });
      const login = await client.auth.login.mutate({ identifier: user.email, password: user.password });
      if (login.mode !== 'token') throw new Error('expected tokens');
      const me = trpcClient(mesh.baseUrl, { token: login.accessToken });
      await me.me.savePersonalInfo.mutate({ phone: '+55 11 99999-9999', birthDate: '1990-05-17' });
      const { user: profile } = await me.me.profile.query();
      expect(profile.profile).toMatchObject({ phone: '+55 11 99999-9999', birthDate: '1990-05-17' });
      expect(await failure(me.admin.users.list.query({}))).toMatchObject({ httpStatus: 403 });
      expect(await failure(me.me.savePersonalInfo.mutate({ birthDate: '17/05/1990' }))).toMatchObject({
        httpStatus: 400,
        reason: 'INVALID_INPUT',
      });
      await me.auth.logout.mutate();
      expect(await failure(me.me.sessions.query())).toMatchObject({ httpStatus: 401 });
    });

    it('counts requests by procedure in Prometheus metrics', async () => {
      await trpcClient(mesh.baseUrl).system.ping.query();
      await fetch(`${mesh.baseUrl}/trpc/no.such.procedure`);
      const metrics = await waitFor(async () => {
        const text = await (await fetch(`${mesh.metricsUrl}/metrics`)).text();
        return text.includes('route="/trpc/(unknown)"') && text;
      });
      expect(metrics).toMatch(
        /web_http_request_duration_seconds_count\{[^}]*route="\/trpc\/system.ping",status="200"\} [1-9]/,
      );
      expect(metrics).toContain('route="/trpc/(unknown)"');
      expect(metrics).not.toContain('no.such.procedure');
    });

    it('refuses anonymous callers with 401 and a reason', async () => {
      expect(await failure(trpcClient(mesh.baseUrl).me.profile.query())).toMatchObject({
        httpStatus: 401,
        reason: 'UNAUTHORIZED',
      });
      expect(
        await failure(trpcClient(mesh.baseUrl, { token: 'not.a.jwt' }).me.profile.query()),
      ).toMatchObject({ httpStatus: 401, reason: 'INVALID_TOKEN' });
    });

    it('streams login attempts to an admin over SSE as they happen', async () => {
      const admin = trpcClient(mesh.baseUrl, { token: masterToken });
      const user = newUser();
      await admin.admin.users.create.mutate(user);
      const rows: FeedEvent[] = [];
      let started = false;
      const subscription = admin.admin.liveEvents.subscribe(undefined, {
        onStarted: () => (started = true),
        onData: (event) => rows.push(event.data),
      });
      try {
        await waitFor(() => started, { what: 'subscription started' });
        await failure(
          trpcClient(mesh.baseUrl).auth.login.mutate({
            identifier: user.username,
            password: 'wrong password',
          }),
        );
        const row = await waitFor(
          () => rows.find((r) => r.identifier === user.username && r.outcome === 'failed'),
          { what: 'failed login in the feed', timeoutMs: 20_000 },
        );
        expect(row).toMatchObject({ type: 'identity.login.failed', method: 'password' });
        expect(row.ip).toBeTruthy();
        const detail = await admin.admin.users.get.query({ userId: row.userId });
        expect(detail.loginAttempts?.[0]).toMatchObject({
          outcome: 'failed',
          reason: 'INVALID_CREDENTIALS',
          method: 'password',
          ip: row.ip,
        });
        expect(detail.sessions).toEqual([]);
        expect(detail.allowed.activity).toBe(true);
      } finally {
        subscription.unsubscribe();
      }
    });

    it('keeps the dashboard session in HttpOnly SameSite=Strict cookies and wants the CSRF token on mutations', async () => {
      const url = `${mesh.baseUrl}/trpc`;
      const login = await fetch(`${url}/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identifier: MASTER.username, password: MASTER.password, session: 'cookie' }),
      });
      expect(login.status).toBe(200);
      const body = (await login.json()) as {
        result: { data: { mode: string; csrfToken: string; accessToken?: string } };
      };
      expect(body.result.data.mode).toBe('cookie');
      expect(body.result.data.accessToken).toBeUndefined();
      const cookies = setCookies(login);
      for (const name of ['guardian_at', 'guardian_rt']) expect(cookies.get(name)).toMatch(/HttpOnly/i);
      for (const name of ['guardian_at', 'guardian_rt', 'guardian_csrf'])
        expect(cookies.get(name)).toMatch(/SameSite=Strict/i);
      expect(cookies.get('guardian_csrf')).not.toMatch(/HttpOnly/i);
      const cookie = cookieHeader(cookies);

      const profile = await fetch(`${url}/me.profile`, { headers: { cookie } });
      expect(profile.status).toBe(200);

      const forged = await fetch(`${url}/me.savePersonalInfo`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: '{"bio":"x"}',
      });
      expect(forged.status).toBe(403);
      expect(await forged.json()).toMatchObject({ error: { data: { reason: 'CSRF_TOKEN_INVALID' } } });

      const headers = {
        cookie,
        'content-type': 'application/json',
        'x-csrf-token': body.result.data.csrfToken,
      };
      const refreshed = await fetch(`${url}/auth.refresh`, { method: 'POST', headers, body: '{}' });
      expect(refreshed.status).toBe(200);
      const rotated = setCookies(refreshed);
      expect(rotated.get('guardian_rt')).not.toBe(cookies.get('guardian_rt'));
      const csrf = ((await refreshed.json()) as { result: { data: { csrfToken: string } } }).result.data
        .csrfToken;

      const logout = await fetch(`${url}/auth.logout`, {
        method: 'POST',
        headers: { cookie: cookieHeader(rotated), 'x-csrf-token': csrf, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(logout.status).toBe(200);
      expect(setCookies(logout).get('guardian_at')).toMatch(/guardian_at=;/);
    });

    it('sends security headers and answers CORS only for allowed origins', async () => {
      const ping = await fetch(`${mesh.baseUrl}/trpc/system.ping`);
      expect(ping.headers.get('x-content-type-options')).toBe('nosniff');
      expect(ping.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(ping.headers.get('x-frame-options')).toBe('DENY');
      const preflight = await fetch(`${mesh.baseUrl}/trpc/auth.login`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('limits auth calls per client IP with 429 and Retry-After, and allows the configured CORS origins', async () => {
      const port = await freePort();
      const web = startApp('web', {
        NATS_URL: mesh.env.natsUrl,
        EVENTS_STREAM: mesh.env.stream,
        EVENTS_SUBJECT_PREFIX: mesh.env.prefix,
        WEB_HOST: '127.0.0.1',
        WEB_HTTP_PORT: String(port),
        METRICS_PORT: String(await freePort()),
        WEB_IDENTITY_ADDRESS: mesh.addresses.identity,
        WEB_AUTH_RATE_LIMIT: '2',
        WEB_AUTH_RATE_WINDOW_MS: '600000',
        WEB_CORS_ORIGINS: 'https://app.example, https://admin.example',
      });
      try {
        await web.waitForLog(/"msg":"web ready"/);
        const client = trpcClient(`http://127.0.0.1:${port}`);
        for (let i = 0; i < 2; i++)
          expect(
            (await failure(client.auth.login.mutate({ identifier: 'someone', password: 'wrong' })))
              .httpStatus,
          ).toBe(401);
        const limited = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"identifier":"someone","password":"x"}',
        });
        expect(limited.status).toBe(429);
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await limited.json()).toMatchObject({ error: { reason: 'RATE_LIMITED' } });
        expect(await failure(client.auth.register.mutate(newUser()))).toMatchObject({
          httpStatus: 429,
          reason: 'RATE_LIMITED',
        });
        expect((await fetch(`http://127.0.0.1:${port}/trpc/system.ping`)).status).toBe(200);
        const preflight = await fetch(`http://127.0.0.1:${port}/trpc/me.profile`, {
          method: 'OPTIONS',
          headers: {
            origin: 'https://admin.example',
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'authorization',
          },
        });
        expect(preflight.headers.get('access-control-allow-origin')).toBe('https://admin.example');
        expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
      } finally {
        await web.stop('SIGTERM', 5_000);
      }
    });

    it('refuses a JSON body over the limit with 413 before reading it', async () => {
      // Declares 13 MiB and sends a few bytes: the answer must come from the declared length alone.
      const oversized = (path: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const request = httpRequest(`${mesh.baseUrl}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': String(13 * 1024 * 1024) },
          });
          request.on('response', (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk.toString()));
            response.on('end', () => {
              resolve({ status: response.statusCode ?? 0, body: text });
              request.destroy();
            });
          });
          request.on('error', reject);
          request.write('{"identifier":"x","password":"');
        });
      const rest = await oversized('/api/auth/login');
      expect(rest.status).toBe(413);
      expect(JSON.parse(rest.body)).toMatchObject({ error: { reason: 'PAYLOAD_TOO_LARGE' } });
      const trpc = await oversized('/trpc/auth.login');
      expect(trpc.status).toBe(413);
      expect(JSON.parse(trpc.body)).toMatchObject({
        error: { data: { httpStatus: 413, reason: 'PAYLOAD_TOO_LARGE' } },
      });
    });
  });
});
