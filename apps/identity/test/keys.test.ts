import argon2 from 'argon2';
import { KeyRing } from '@guardian/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, client, newUser, startIdentity } from './harness.js';

describe('signing keys and password re-hashing', () => {
  let h: IdentityHarness;
  let current: { kid?: string };
  let previous: { kid?: string };
  beforeAll(async () => {
    current = await KeyRing.generatePrivateJwk();
    previous = await KeyRing.generatePrivateJwk();
    h = await startIdentity({ IDENTITY_SIGNING_KEYS: JSON.stringify([current, previous]) });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('publishes both configured keys and signs with the first (rotation)', async () => {
    const { jwks } = await h.auth.getJwks({});
    expect(jwks!.keys.map((k) => k.kid)).toEqual([current.kid, previous.kid]);
    expect(jwks!.keys.every((k) => !('d' in k))).toBe(true);
    const input = newUser();
    await h.auth.register({ ...input, client: client() });
    const { tokens } = await h.auth.login({
      identifier: input.username,
      password: input.password,
      client: client('192.0.2.40'),
    });
    const header = JSON.parse(Buffer.from(tokens!.accessToken.split('.')[0]!, 'base64url').toString()) as {
      kid: string;
    };
    expect(header.kid).toBe(current.kid);
  });

  it('re-hashes a password stored with weaker parameters on the next successful login', async () => {
    const input = newUser();
    const { user } = await h.auth.register({ ...input, client: client() });
    const users = h.mongo.collection('users');
    const weak = await argon2.hash(input.password, {
      type: argon2.argon2id,
      memoryCost: 4096,
      timeCost: 1,
      parallelism: 1,
    });
    await users.updateOne({ _id: user!.id as never }, { $set: { passwordHash: weak } });
    await h.auth.login({
      identifier: input.username,
      password: input.password,
      client: client('192.0.2.41'),
    });
    const stored = (await users.findOne({ _id: user!.id as never }, { projection: { passwordHash: 1 } }))!
      .passwordHash as string;
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await h.auth.login({
      identifier: input.username,
      password: input.password,
      client: client('192.0.2.41'),
    });
  });
});
