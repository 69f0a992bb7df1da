import { startNats, waitFor, type RestartableServer } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, client, newUser, startIdentity } from './harness.js';

describe('events while NATS is down', () => {
  let nats: RestartableServer;
  let h: IdentityHarness;
  beforeAll(async () => {
    nats = await startNats();
    h = await startIdentity({ NATS_URL: nats.url });
  });
  afterAll(async () => {
    await h?.stop();
    await nats?.stop();
  });

  it('keeps serving, holds the events on their documents, and publishes them once NATS is back', async () => {
    await nats.pause();
    const input = newUser();
    const { user } = await h.auth.register({ ...input, client: client() });
    const { tokens } = await h.auth.login({
      identifier: input.username,
      password: input.password,
      client: client('198.51.100.90'),
    });
    await h.auth.logout({}, { accessToken: tokens!.accessToken });

    const users = h.mongo.collection('users');
    const held = await users.findOne({ _id: user!.id as never }, { projection: { pendingEvents: 1 } });
    expect((held?.pendingEvents as { type: string }[] | undefined)?.map((e) => e.type)).toEqual([
      'identity.user.registered',
    ]);
    expect(h.tap.of('identity.user.registered', user!.id)).toHaveLength(0);

    await nats.start();
    const [registered] = await h.tap.expect('identity.user.registered', user!.id);
    expect(registered!.data).toMatchObject({
      userId: user!.id,
      username: input.username,
      email: input.email,
    });
    await h.tap.expect('identity.login.succeeded', user!.id);
    await h.tap.expect('identity.session.revoked', user!.id);
    await waitFor(async () => {
      const doc = await users.findOne({ _id: user!.id as never }, { projection: { pendingEvents: 1 } });
      return (doc?.pendingEvents as unknown[] | undefined)?.length === 0;
    });
    for (const type of [
      'identity.user.registered',
      'identity.login.succeeded',
      'identity.session.revoked',
    ] as const) {
      expect(h.tap.of(type, user!.id)).toHaveLength(1);
    }
  });
});
