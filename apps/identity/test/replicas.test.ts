import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueId, uniqueSubjectPrefix, waitFor } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MASTER, rejection, startIdentity, type IdentityHarness } from './harness.js';

/**
 * Two identity replicas on one database, stream and key file, each caching session liveness and
 * users for an hour: only the writer's invalidation can make the other replica see a change in time.
 */
describe('two identity replicas', () => {
  const env = {
    MONGO_DB: uniqueId('identity_'),
    EVENTS_STREAM: uniqueId('IDT'),
    EVENTS_SUBJECT_PREFIX: uniqueSubjectPrefix(),
    IDENTITY_DEV_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'identity-keys-')), 'keys.json'),
    IDENTITY_SESSION_CACHE_TTL_MS: String(60 * 60_000),
    IDENTITY_USER_CACHE_TTL_MS: String(60 * 60_000),
  };
  let a: IdentityHarness;
  let b: IdentityHarness;

  beforeAll(async () => {
    a = await startIdentity(env);
    b = await startIdentity(env);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  const signIn = async () =>
    (
      await a.auth.login({
        identifier: MASTER.username,
        password: MASTER.password,
        client: { ip: '192.0.2.80', userAgent: 'replica test' },
      })
    ).tokens!.accessToken;

  it('refuses a session on every replica as soon as one of them revoked it', async () => {
    const token = await signIn();
    for (const replica of [a, b]) await replica.users.getProfile({}, { accessToken: token }); // cached live
    await a.auth.logout({}, { accessToken: token });
    for (const replica of [a, b]) {
      await waitFor(
        async () =>
          (await rejection(replica.users.getProfile({}, { accessToken: token }))).reason ===
          'SESSION_REVOKED',
        { timeoutMs: 5_000, what: 'the revoked session refused' },
      );
    }
  });

  it("shows one replica's profile change on the other at once", async () => {
    const token = await signIn();
    const before = (await b.users.getProfile({}, { accessToken: token })).user!; // cached user
    const fullName = `${before.fullName.split(' #')[0]} #${Date.now()}`;
    await a.users.updateProfile({ fullName }, { accessToken: token });
    await waitFor(
      async () => (await b.users.getProfile({}, { accessToken: token })).user!.fullName === fullName,
      { timeoutMs: 5_000, what: "replica b's copy of the profile" },
    );
    expect((await b.users.getProfile({}, { accessToken: token })).user!.fullName).toBe(fullName);
  });
});
