import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueId, uniqueSubjectPrefix } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sequences } from '../src/repositories/sequence.repository.js';
import { UserRepository, userModel } from '../src/repositories/user.repository.js';
import { MASTER, client, newUser, rejection, startIdentity, type IdentityHarness } from './harness.js';

/** An account as the users collection holds it, without a number. */
function stored(at = new Date()) {
  const { username, email, fullName } = newUser();
  return {
    _id: uniqueId('acct-'),
    username,
    usernameLower: username.toLowerCase(),
    email,
    fullName,
    locale: 'en',
    role: 'user' as const,
    status: 'active' as const,
    registrationKind: 'password' as const,
    passwordChangeRequired: false,
    profile: { phone: '', address: '', birthDate: '', bio: '' },
    biometric: { enrolled: false, enrolledAt: null, modelId: '', sampleCount: 0, eventTime: null },
    hasApprovedIdentityDocument: false,
    lockedUntil: null,
    unlockedAt: null,
    deletedAt: null,
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * Account numbers (User.number): the stable integer ids the older systems' clients use. Two
 * replicas on one database, each on its own connection: FerretDB does not isolate the counter's
 * `$inc` between connections, so concurrent creations on both exercise the collision path.
 */
describe('account numbers', () => {
  const env = {
    MONGO_DB: uniqueId('identity_'),
    EVENTS_STREAM: uniqueId('IDT'),
    EVENTS_SUBJECT_PREFIX: uniqueSubjectPrefix(),
    IDENTITY_DEV_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'identity-keys-')), 'keys.json'),
    IDENTITY_IP_LOCK_AFTER: '100000',
    IDENTITY_IP_DELAY_AFTER: '100000',
  };
  let a: IdentityHarness;
  let b: IdentityHarness;
  let master: { accessToken: string };

  const signIn = async (identifier: string, password: string) => ({
    accessToken: (await a.auth.login({ identifier, password, client: client('192.0.2.90') })).tokens!
      .accessToken,
  });
  const create = async (on: IdentityHarness, role = 'user') => {
    const input = newUser();
    const { user } = await on.users.createUser({ ...input, role }, master);
    return { ...input, ...user! };
  };

  beforeAll(async () => {
    a = await startIdentity(env);
    b = await startIdentity(env);
    master = await signIn(MASTER.username, MASTER.password);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('gives the first account 1 and every account created after it a number of its own, on any replica at once', async () => {
    expect((await a.users.getProfile({}, master)).user!.number).toBe(1);
    const created = await Promise.all(Array.from({ length: 24 }, (_, i) => create(i % 2 ? a : b)));
    const numbers = created.map((u) => u.number);
    expect(numbers.every((n) => Number.isInteger(n) && n > 1)).toBe(true);
    expect(new Set(numbers).size).toBe(numbers.length);
    // What the creation answered is what is stored, on either replica.
    for (const user of created.slice(0, 4))
      expect((await b.users.getUser({ userId: user.id }, master)).user!.number).toBe(user.number);
  });

  it('gives unique numbers when inserts race on two connections, whose counter increments FerretDB does not isolate', async () => {
    const repositories = [a, b].map(
      (h) => new UserRepository(userModel(h.mongo), undefined, undefined, undefined, new Sequences(h.mongo)),
    );
    const inserted = await Promise.all(
      Array.from({ length: 40 }, (_, i) => repositories[i % 2]!.insert(stored(), [])),
    );
    const numbers = inserted.map((u) => u.number);
    expect(new Set(numbers).size).toBe(40);
    const kept = await userModel(a.mongo)
      .find({ _id: { $in: inserted.map((u) => u._id) } })
      .lean()
      .exec();
    expect(kept.map((u) => u.number).sort()).toEqual([...numbers].sort());
  });

  it('takes the next number when the counter handed one out twice, and still tells a taken username', async () => {
    const handedOut = [900_001, 900_001, 900_002, 900_003];
    const numbers = { next: async () => handedOut.shift()!, atLeast: async () => undefined };
    const repository = new UserRepository(
      userModel(a.mongo),
      undefined,
      undefined,
      undefined,
      numbers as unknown as Sequences,
    );
    const first = stored();
    expect((await repository.insert(first, [])).number).toBe(900_001);
    expect((await repository.insert(stored(), [])).number).toBe(900_002);
    const sameName = { ...stored(), username: first.username, usernameLower: first.usernameLower };
    await expect(repository.insert(sameName, [])).rejects.toMatchObject({ reason: 'USERNAME_TAKEN' });
  });

  it('keeps a number through every change and never gives a deleted account’s number again', async () => {
    const user = await create(a);
    await a.users.updateUser(
      { userId: user.id, username: `${user.username}_x`, fullName: 'Renamed' },
      master,
    );
    await a.users.setRole({ userId: user.id, role: 'admin' }, master);
    expect((await b.users.getUser({ userId: user.id }, master)).user!.number).toBe(user.number);
    await a.users.deleteUser({ userId: user.id }, master);
    const next = await create(b);
    expect(next.number).toBeGreaterThan(user.number);
    expect(await rejection(a.users.getUser({ userId: String(user.number) }, master))).toMatchObject({
      reason: 'USER_NOT_FOUND',
    });
  });

  it('finds an account by its number wherever a user id is taken, under the same role rules', async () => {
    const user = await create(a);
    const byNumber = String(user.number);
    expect((await a.users.getUser({ userId: byNumber }, master)).user!.id).toBe(user.id);
    const updated = await a.users.updateUser({ userId: byNumber, fullName: 'Found By Number' }, master);
    expect(updated.user).toMatchObject({ id: user.id, fullName: 'Found By Number' });
    expect((await a.auth.listSessions({ userId: byNumber }, master)).sessions).toEqual([]);
    expect((await a.verification.getStatus({ userId: byNumber }, master)).status).toBeDefined();

    // A plain user naming themselves by number is themselves; anyone else's number is refused.
    const own = await signIn(user.username, user.password);
    expect((await a.users.getUser({ userId: byNumber }, own)).user!.id).toBe(user.id);
    expect(await rejection(a.users.getUser({ userId: '1' }, own))).toMatchObject({ reason: 'FORBIDDEN' });
    expect(await rejection(a.users.getUser({ userId: '999999' }, own))).toMatchObject({
      reason: 'FORBIDDEN',
    });
    expect(
      await rejection(a.users.updateUser({ userId: byNumber, username: 'renamed_self' }, own)),
    ).toMatchObject({ reason: 'CANNOT_CHANGE_OWN_USERNAME' });

    await a.users.setRole({ userId: byNumber, role: 'admin' }, master);
    expect((await a.users.getUser({ userId: user.id }, master)).user!.role).toBe('admin');
    expect(await rejection(a.users.getUser({ userId: '999999' }, master))).toMatchObject({
      reason: 'USER_NOT_FOUND',
    });
    await a.users.deleteUser({ userId: byNumber }, master);
    expect(await rejection(a.users.getUser({ userId: user.id }, master))).toMatchObject({
      reason: 'USER_NOT_FOUND',
    });
  });

  it('numbers the accounts from before numbering at start-up, oldest first, after every number in use, once', async () => {
    const { users: listed } = await a.users.listUsers(
      { pageSize: 100, pageToken: '', query: '', role: '', status: '' },
      master,
    );
    const highest = Math.max(...listed.map((u) => u.number));
    // Accounts as an older identity stored them: no number.
    const old = [2, 0, 1].map((minutesAgo) =>
      stored(new Date(Date.now() - 86_400_000 - minutesAgo * 60_000)),
    );
    await a.mongo.collection('users').insertMany(old.map((u) => ({ ...u, pendingEvents: [] })) as never[]);

    // A replica starting up numbers them (the last test: its stop drops the shared database).
    const c = await startIdentity(env);
    try {
      const numbers = await Promise.all(
        old.map(async (u) => (await c.users.getUser({ userId: u._id }, master)).user!.number),
      );
      // Oldest first (old[0] was created 2 minutes before old[2], which was 1 before old[1]).
      expect(numbers[0]).toBeGreaterThan(highest);
      expect(numbers[2]).toBeGreaterThan(numbers[0]!);
      expect(numbers[1]).toBeGreaterThan(numbers[2]!);
      // Once: a second run finds nothing to number and changes nothing.
      const repository = new UserRepository(
        userModel(a.mongo),
        undefined,
        undefined,
        undefined,
        new Sequences(a.mongo),
      );
      expect(await repository.numberUnnumbered()).toBe(0);
      const again = await Promise.all(
        old.map(async (u) => (await a.users.getUser({ userId: u._id }, master)).user!.number),
      );
      expect(again).toEqual(numbers);
      // The counter moved past them: the next account gets a larger number.
      expect((await create(c)).number).toBeGreaterThan(Math.max(...numbers));
    } finally {
      await c.stop();
    }
  });
});
