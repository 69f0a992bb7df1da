/**
 * The BFF's edge under attack (issue "Trust boundaries", items 3, 4, 5 and 7), against the real
 * processes: forged X-Forwarded-For, percent-encoded paths around the limiter and the CSRF check,
 * sign-in batches, uploads without credentials, cross-site sign-in forms.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER, newUser, startMesh, type Mesh } from './harness.js';

/** Requests per IP and window on sign-in procedures in this mesh. */
const LIMIT = 4;

describe('web edge: the attacks that must fail', () => {
  let mesh: Mesh;
  beforeAll(async () => {
    mesh = await startMesh({
      withBiometrics: false,
      web: {
        WEB_TRUST_PROXY: 'loopback',
        WEB_AUTH_RATE_LIMIT: String(LIMIT),
        WEB_AUTH_RATE_WINDOW_MS: '600000',
        WEB_UPLOAD_RATE_LIMIT: '3',
        WEB_READ_RATE_LIMIT: '10',
        WEB_RATE_WINDOW_MS: '600000',
      },
    });
  }, 200_000);
  afterAll(async () => {
    await mesh?.stop();
  });

  /** What the one trusted proxy in front sends: the client's header plus the address it saw. */
  const viaProxy = (clientIp: string, forged?: string) => ({
    'x-forwarded-for': forged ? `${forged}, ${clientIp}` : clientIp,
  });
  const login = (path: string, headers: Record<string, string>, body: object) =>
    fetch(`${mesh.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  let guesses = 0;
  /** A wrong password for a fresh name (identity's own per-account lock stays out of the way). */
  const wrong = () => ({ identifier: `nobody-${guesses++}-${Date.now()}`, password: 'not the password' });

  it('takes the client IP from the trusted hop, not from addresses the client wrote (item 3)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++)
      statuses.push(
        (await login('/api/auth/login', viaProxy('198.51.100.31', `10.0.${i}.1`), wrong())).status,
      );
    expect(statuses.slice(0, LIMIT).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(LIMIT)).toEqual([429, 429]);
    // The attacker writing the victim's address does not spend the victim's budget.
    for (let i = 0; i < LIMIT; i++)
      await login('/api/auth/login', viaProxy('198.51.100.32', '198.51.100.33'), wrong());
    expect((await login('/api/auth/login', viaProxy('198.51.100.33'), wrong())).status).toBe(401);
  });

  it('limits and checks sign-in on the matched route, whatever the URL encoding (item 5)', async () => {
    const headers = viaProxy('198.51.100.41');
    const statuses: number[] = [];
    for (const path of ['/api/auth/%6cogin', '/%74rpc/auth.login', '/api/auth/logi%6E', '/trpc/auth%2Elogin'])
      statuses.push((await login(path, headers, wrong())).status);
    expect(statuses).toEqual([401, 401, 401, 401]);
    const limited = await login('/api/auth/%6cogin', headers, wrong());
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { reason: 'RATE_LIMITED' } });
    expect((await login('/%74rpc/auth.login', headers, wrong())).status).toBe(429);

    // A cookie session's write without its CSRF token is refused on an encoded path too.
    const csrf = await fetch(`${mesh.baseUrl}/%74rpc/auth.logout`, {
      method: 'POST',
      headers: { cookie: 'guardian_at=stolen; guardian_csrf=abc', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(csrf.status).toBe(403);
    expect(JSON.stringify(await csrf.json())).toContain('CSRF_TOKEN_INVALID');
  });

  it('answers URLs the router cannot read with a reason, without echoing them (found by test/fuzz.test.ts)', async () => {
    const long = 'A'.repeat(300);
    for (const [path, reason] of [
      [`/api/admin/users/${long}`, 'PATH_SEGMENT_TOO_LONG'],
      [`/api/admin/users/%E0%A4%A`, 'BAD_URL'],
    ] as const) {
      const response = await fetch(`${mesh.baseUrl}${path}`, { method: 'PATCH' });
      const text = await response.text();
      expect(response.status, `${path} ${text}`).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ error: { status: 400, reason } });
      expect(text).not.toContain(long);
      expect(text).not.toMatch(/FST_ERR/);
    }
    const trpc = await fetch(`${mesh.baseUrl}/trpc/${'x'.repeat(300)}`);
    expect(trpc.status).toBe(400);
    expect(((await trpc.json()) as { error: { data: { reason: string } } }).error.data.reason).toBe(
      'PATH_SEGMENT_TOO_LONG',
    );
  });

  it('answers multipart bodies it cannot read with a reason, in the mirror and in a compat profile (found by test/fuzz.test.ts)', async () => {
    const boundary = 'edgeBoundary';
    const part = (name: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\nnot a photo\r\n`;
    const bodies = [
      // No boundary in the content type.
      {
        type: 'multipart/form-data',
        body: `${part('image')}--${boundary}--\r\n`,
        status: 400,
        reason: 'MALFORMED_MULTIPART',
      },
      // Cut off inside a part.
      {
        type: `multipart/form-data; boundary=${boundary}`,
        body: part('image').slice(0, 60),
        status: 400,
        reason: 'MALFORMED_MULTIPART',
      },
      // More parts than the limit (30).
      {
        type: `multipart/form-data; boundary=${boundary}`,
        body: `${Array.from({ length: 40 }, (_, i) => `--${boundary}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`).join('')}--${boundary}--\r\n`,
        status: 413,
        reason: 'TOO_MANY_PARTS',
      },
    ];
    let ip = 40;
    for (const { type, body, status, reason } of bodies)
      for (const [path, reasonOf] of [
        ['/api/auth/face-login', (b: { error: { reason: string } }) => b.error.reason],
        ['/compat/flask-face-rest/autenticacion', (b: { codigo: string }) => b.codigo],
      ] as const) {
        const response = await fetch(`${mesh.baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': type, ...viaProxy(`203.0.${ip++}.7`) },
          body,
        });
        const text = await response.text();
        expect(response.status, `${path} ${type}: ${text}`).toBe(status);
        expect(reasonOf(JSON.parse(text) as never), text).toBe(reason);
        expect(text).not.toMatch(/Boundary not found|Unexpected end|FST_/i);
      }
  });

  it('refuses sign-in procedures inside a tRPC batch (item 4)', async () => {
    const body = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [String(i), wrong()]));
    const names = Array.from({ length: 5 }, () => 'auth.login').join(',');
    for (const path of [`/trpc/${names}?batch=1`, `/trpc/system.ping,auth.login?batch=1`]) {
      const response = await login(path, viaProxy('198.51.100.51'), body);
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toContain('BATCH_NOT_ALLOWED');
    }
    // Other procedures still batch.
    const batch = await fetch(`${mesh.baseUrl}/trpc/system.ping,system.ping?batch=1&input=%7B%7D`);
    expect(batch.status).toBe(200);
  });

  it('limits each tier on its own budget per client IP, counting every procedure of a batch (item 4)', async () => {
    // Uploads (tier declared by the procedures): 3 per window, checked before credentials or body.
    const uploads: number[] = [];
    for (let i = 0; i < 4; i++)
      uploads.push(
        (
          await fetch(`${mesh.baseUrl}/api/face/detect`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...viaProxy('198.51.100.71') },
            body: '{}',
          })
        ).status,
      );
    expect(uploads).toEqual([401, 401, 401, 429]);
    // Reads: 10 per window; a batch of 5 counts 5.
    const batch = (ip: string) =>
      fetch(
        `${mesh.baseUrl}/trpc/${Array.from({ length: 5 }, () => 'system.ping').join(',')}?batch=1&input=%7B%7D`,
        {
          headers: viaProxy(ip),
        },
      );
    expect((await batch('198.51.100.72')).status).toBe(200);
    expect((await batch('198.51.100.72')).status).toBe(200);
    const limited = await batch('198.51.100.72');
    expect(limited.status).toBe(429);
    expect(JSON.stringify(await limited.json())).toContain('RATE_LIMITED');
    // Another client, and another tier for the same client, keep their budgets.
    expect((await batch('198.51.100.73')).status).toBe(200);
    expect((await login('/api/auth/login', viaProxy('198.51.100.72'), wrong())).status).toBe(401);
  });

  /**
   * A multipart upload that declares 40 MiB and sends only its first 64 KiB, then waits: the
   * answer must come from the credentials alone (nothing buffered for a caller without them).
   */
  const partialUpload = (path: string, headers: Record<string, string>, fields: Record<string, string>) =>
    new Promise<number | 'no answer'>((resolve, reject) => {
      const boundary = '----guardian-edge-test';
      const head = [
        ...Object.entries(fields).map(
          ([name, value]) =>
            `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
        ),
        `--${boundary}\r\ncontent-disposition: form-data; name="image"; filename="a.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`,
      ].join('');
      const req = httpRequest(`${mesh.baseUrl}${path}`, {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(40 * 1024 * 1024),
        },
      });
      const timer = setTimeout(() => {
        req.destroy();
        resolve('no answer');
      }, 10_000);
      req.on('response', (response) => {
        clearTimeout(timer);
        response.resume();
        resolve(response.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', (error) => {
        clearTimeout(timer);
        if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') resolve('no answer');
        else reject(error);
      });
      req.write(head);
      req.write(Buffer.alloc(64 * 1024, 0xff));
    });

  it('checks upload credentials before reading the photos: 32 parallel unauthenticated uploads each get 401 at once (item 5)', async () => {
    const answers = await Promise.all([
      ...Array.from({ length: 16 }, (_, i) =>
        partialUpload('/api/auth/face-only-enroll', viaProxy(`198.51.100.${100 + i}`), {
          enrollmentToken: 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ2aWN0aW0ifQ.forged',
        }),
      ),
      ...Array.from({ length: 8 }, (_, i) =>
        partialUpload(
          '/api/user/face/register',
          { authorization: 'Bearer not-a-token', ...viaProxy(`198.51.100.${120 + i}`) },
          {},
        ),
      ),
      ...Array.from({ length: 8 }, (_, i) =>
        partialUpload('/api/verification/documents', viaProxy(`198.51.100.${130 + i}`), {}),
      ),
    ]);
    expect(answers).toEqual(Array.from({ length: 32 }, () => 401));
    // The enrollment token must come before the photos.
    expect(await partialUpload('/api/auth/face-only-enroll', viaProxy('198.51.100.99'), {})).toBe(401);
  });

  it('refuses a cross-site sign-in form (login CSRF) and lets the same origin and Bearer clients through (item 7)', async () => {
    const user = newUser();
    const registered = await login('/api/auth/register', viaProxy('198.51.100.61'), user);
    expect(registered.status).toBe(201);
    const credentials = { identifier: user.username, password: user.password };
    const crossSite = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    for (const path of ['/api/auth/login', '/trpc/auth.login']) {
      const forged = await login(path, { ...viaProxy('198.51.100.62'), ...crossSite }, credentials);
      expect(forged.status).toBe(403);
      expect(forged.headers.getSetCookie()).toEqual([]);
      expect(JSON.stringify(await forged.json())).toContain('CROSS_SITE_REQUEST');
    }
    const sameOrigin = await login(
      '/trpc/auth.login',
      { ...viaProxy('198.51.100.63'), origin: mesh.baseUrl, 'sec-fetch-site': 'same-origin' },
      { ...credentials, session: 'cookie' },
    );
    expect(sameOrigin.status).toBe(200);
    expect(sameOrigin.headers.getSetCookie().length).toBeGreaterThan(0);

    // Only a Bearer token skips the CSRF check of a cookie session: another Authorization form does not.
    const cookies = sameOrigin.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const basic = await fetch(`${mesh.baseUrl}/trpc/auth.logout`, {
      method: 'POST',
      headers: { cookie: cookies, authorization: 'Basic dXNlcjpwYXNz', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(basic.status).toBe(403);
    expect(JSON.stringify(await basic.json())).toContain('CSRF_TOKEN_INVALID');

    const master = await login('/api/auth/login', viaProxy('198.51.100.64'), {
      identifier: MASTER.username,
      password: MASTER.password,
    });
    const { accessToken } = (await master.json()) as { accessToken: string };
    const withBearer = await fetch(`${mesh.baseUrl}/api/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, ...crossSite, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(withBearer.status).toBeLessThan(300);
  });
});
