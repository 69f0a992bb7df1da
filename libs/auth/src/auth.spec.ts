import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AccessTokenVerifier,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  CachedJwks,
  KeyRing,
} from './index.js';

const sign = (ring: KeyRing, claims: Record<string, unknown> = { sid: 's1', role: 'user' }) =>
  ring.sign(claims, {
    issuer: ACCESS_TOKEN_ISSUER,
    audience: ACCESS_TOKEN_AUDIENCE,
    subject: 'u1',
    expiresInSec: 60,
  });

describe('KeyRing', () => {
  it('signs with the first key and publishes only public halves of every key', async () => {
    const [a, b] = [await KeyRing.generatePrivateJwk(), await KeyRing.generatePrivateJwk()];
    const ring = await KeyRing.fromJwks([a, b]);
    expect(ring.currentKid).toBe(a.kid);
    const jwks = ring.publicJwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual([a.kid, b.kid]);
    expect(jwks.keys.every((k) => !('d' in k))).toBe(true);
  });

  it('generates and persists a development key once, then reloads it', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'keys-')), 'dev.json');
    const events: boolean[] = [];
    const first = await KeyRing.load({ devFile: file, onDevKey: (_f, created) => events.push(created) });
    const second = await KeyRing.load({ devFile: file, onDevKey: (_f, created) => events.push(created) });
    expect(second.currentKid).toBe(first.currentKid);
    expect(events).toEqual([true, false]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))[0].kty).toBe('OKP');
  });

  it('refuses keys that are not Ed25519 private JWKs', async () => {
    await expect(KeyRing.fromJwks([{ kty: 'RSA', kid: 'x' }])).rejects.toThrow(/Ed25519/);
  });
});

describe('AccessTokenVerifier', () => {
  it('accepts a token signed by a key added after the JWKS was cached (rotation) by refetching once', async () => {
    let ring = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
    let fetches = 0;
    const verifier = new AccessTokenVerifier(
      new CachedJwks(async () => (fetches++, ring.publicJwks()), { minRefreshMs: 0 }),
    );
    await verifier.verify(await sign(ring));
    const rotated = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
    ring = rotated;
    const claims = await verifier.verify(await sign(rotated, { sid: 's2', role: 'admin' }));
    expect(claims).toMatchObject({ userId: 'u1', sessionId: 's2', role: 'admin' });
    expect(fetches).toBe(2);
  });

  it('does not refetch for unknown kids more often than minRefreshMs', async () => {
    const ring = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
    const stranger = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
    let fetches = 0;
    const verifier = new AccessTokenVerifier(
      new CachedJwks(async () => (fetches++, ring.publicJwks()), { minRefreshMs: 60_000 }),
    );
    await verifier.verify(await sign(ring));
    for (let i = 0; i < 5; i++)
      await expect(verifier.verify(await sign(stranger))).rejects.toMatchObject({ reason: 'INVALID_TOKEN' });
    expect(fetches).toBe(1);
  });

  it('checks a token once while cached, never past its expiry, and not a tampered copy', async () => {
    const ring = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
    let now = Date.now();
    let resolves = 0;
    const jwks = new CachedJwks(async () => ring.publicJwks());
    const counting = Object.assign(Object.create(jwks) as CachedJwks, {
      resolver: (kid: string | undefined) => (resolves++, jwks.resolver(kid)),
    });
    const verifier = new AccessTokenVerifier(counting, { cacheTtlMs: 60_000, now: () => now });
    const token = await sign(ring);
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toEqual(first);
    expect(resolves).toBe(1);

    const [header, payload, signature] = token.split('.');
    const flipped = `${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
    await expect(verifier.verify(`${header}.${payload}.${flipped}`)).rejects.toMatchObject({
      reason: 'INVALID_TOKEN',
    });

    now = first.expiresAt.getTime() + 10_000; // cached, but expired: checked again (and refused)
    await expect(verifier.verify(token)).rejects.toMatchObject({ kind: 'unauthenticated' });
    expect(resolves).toBe(3);
  });

  it('rejects tokens without the session and role claims', async () => {
    const ring = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
    const verifier = new AccessTokenVerifier(new CachedJwks(async () => ring.publicJwks()));
    await expect(verifier.verify(await sign(ring, { role: 'god' }))).rejects.toMatchObject({
      kind: 'unauthenticated',
    });
  });
});
