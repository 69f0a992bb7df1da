import { CachedJwks, KeyRing } from '@guardian/auth';
import { DomainError } from '@guardian/domain';
import { describe, expect, it } from 'vitest';
import type { AuthAttemptRepository, AuthAttemptRecord } from '../repositories/auth-attempt.repository.js';
import type { SessionRepository } from '../repositories/session.repository.js';
import type { UserRepository } from '../repositories/user.repository.js';
import { DEFAULT_ACCOUNT_POLICY, DEFAULT_IP_POLICY } from './brute-force.js';
import { events, fakeHasher, fakeSessions, fakeUser, fakeUsers, T0 } from './service-fakes.js';
import { LivenessSessions } from './liveness.service.js';
import { SignInService, type FaceMatcher } from './sign-in.service.js';

const client = { ip: '192.0.2.7', userAgent: 'spec' };

const livenessKeys = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
const liveness = new LivenessSessions({
  keys: livenessKeys,
  ownJwks: new CachedJwks(async () => livenessKeys.publicJwks()),
  ttlSec: 60,
});
const noCaller = async () => {
  throw new Error('sign_in needs no caller');
};
/** A capture of a sign-in session started for `name` from `client` (its frames are biometrics' business). */
const captureFor = async (name: string, from = client) => ({
  session: (
    await liveness.start({ purpose: 'sign_in', identifier: name, userId: '', client: from }, noCaller)
  ).session,
  frames: [],
  clip: new Uint8Array(),
});

function setup(options: { userFields?: object; admit?: boolean; faces?: Partial<FaceMatcher> } = {}) {
  const users = fakeUsers([fakeUser(options.userFields)]);
  const sessions = fakeSessions();
  const { hasher, calls } = fakeHasher();
  const recorded: Omit<AuthAttemptRecord, 'pendingEvents'>[] = [];
  const settled: string[] = [];
  const faceCalls: { userId?: string }[] = [];
  const attempts = {
    reserve: async () =>
      options.admit === false
        ? {
            admitted: false,
            refusedBy: 'subject',
            subject: Array.from({ length: 5 }, () => ({ at: T0, outcome: 'failure' })),
            ip: [],
          }
        : { admitted: true, subject: [], ip: [], settle: async (how: string) => void settled.push(how) },
    record: async (attempt: Omit<AuthAttemptRecord, 'pendingEvents'>) => void recorded.push(attempt),
    forAccount: async () => [],
    forIp: async () => [],
  };
  const faces: FaceMatcher = {
    verifyForLogin: async (request) => {
      faceCalls.push({ userId: request.userId });
      return { match: false, confidence: 0, faceAssertion: '' };
    },
    identifyForLogin: async () => {
      faceCalls.push({});
      return { match: false, confidence: 0, faceAssertion: '' };
    },
    ...options.faces,
  };
  const signIn = new SignInService({
    users: users.repo as unknown as UserRepository,
    sessions: sessions.repo as unknown as SessionRepository,
    attempts: attempts as unknown as AuthAttemptRepository,
    faces,
    liveness,
    hasher,
    tokens: { issue: async () => ({ token: 'access', expiresAt: T0 }) },
    faceJwks: new CachedJwks(async () => ({ keys: [] })),
    claimJti: async () => true,
    events,
    credentials: {
      replaceOneTimePassword: async () => {
        throw new DomainError('forbidden', 'PASSWORD_CHANGE_REQUIRED', 'change it');
      },
    },
    policies: {
      account: { ...DEFAULT_ACCOUNT_POLICY, lockAfter: 5 },
      ip: DEFAULT_IP_POLICY,
      refresh: { idleTtlMs: 3_600_000, absoluteTtlMs: 86_400_000 },
      faceAssertion: {
        issuer: 'guardian-biometrics',
        audience: 'guardian-identity',
        maxLifetimeSec: 120,
        maxAgeSec: 120,
      },
    },
    clock: () => T0,
  });
  return { signIn, calls, recorded, settled, sessions, faceCalls };
}

describe('SignInService', () => {
  it('answers an unknown account and a wrong password alike, hashing in both cases', async () => {
    const { signIn, calls, recorded } = setup();
    const unknown = signIn.login({ identifier: 'nobody', password: 'guess', client });
    await expect(unknown).rejects.toMatchObject({ reason: 'INVALID_CREDENTIALS' });
    const wrong = signIn.login({ identifier: 'ana', password: 'guess', client });
    await expect(wrong).rejects.toMatchObject({ reason: 'INVALID_CREDENTIALS' });
    expect(calls).toEqual(['verifyUnknownUser', 'verify']);
    expect(recorded.map((a) => [a.accountKey, a.outcome])).toEqual([
      ['unknown:nobody', 'failure'],
      ['u1', 'failure'],
    ]);
  });

  it('checks no password while the window refuses: the attempt is recorded as blocked', async () => {
    const { signIn, calls, recorded } = setup({ admit: false });
    await expect(
      signIn.login({ identifier: 'ana', password: 'right password 1', client }),
    ).rejects.toMatchObject({
      reason: 'ACCOUNT_LOCKED',
    });
    expect(calls).toEqual([]);
    expect(recorded.map((a) => a.outcome)).toEqual(['blocked']);
  });

  it('tells only the holder of the password that the account is disabled, and does not count it', async () => {
    const { signIn, settled, sessions } = setup({ userFields: { status: 'disabled' } });
    await expect(
      signIn.login({ identifier: 'ana', password: 'right password 1', client }),
    ).rejects.toMatchObject({
      reason: 'ACCOUNT_DISABLED',
    });
    expect(settled).toEqual(['uncounted']);
    expect(sessions.byId.size).toBe(0);
  });

  it('opens a session on the right password and settles the attempt', async () => {
    const { signIn, sessions, recorded } = setup();
    const { user, tokens } = await signIn.login({ identifier: 'ANA', password: 'right password 1', client });
    expect(user._id).toBe('u1');
    expect(sessions.byId.get(tokens.sessionId)).toMatchObject({ userId: 'u1', method: 'password' });
    expect(recorded.map((a) => a.outcome)).toEqual(['success']);
  });

  it('sends a face sign-in with an unknown name to biometrics as an id no account has; every miss is FACE_NOT_MATCHED', async () => {
    const { signIn, faceCalls } = setup({
      faces: {
        verifyForLogin: async (request) => {
          faceCalls.push({ userId: request.userId });
          throw new DomainError('not_found', 'NOT_ENROLLED', 'no face');
        },
      },
    });
    const image = Buffer.from('photo');
    for (const identifier of ['Nobody', 'ana'])
      await expect(
        signIn.loginWithFace({
          identifier,
          userId: '',
          image,
          largestFace: false,
          client,
          liveness: await captureFor(identifier),
        }),
      ).rejects.toMatchObject({ reason: 'FACE_NOT_MATCHED' });
    expect(faceCalls[0]!.userId).toMatch(/^unknown:[0-9a-f]{32}$/);
    expect(faceCalls[1]!.userId).toBe('u1');
    const again = setup();
    await expect(
      again.signIn.loginWithFace({
        identifier: '',
        userId: '',
        image,
        largestFace: false,
        client,
        liveness: await captureFor(''),
      }),
    ).rejects.toMatchObject({ reason: 'FACE_NOT_MATCHED' });
    expect(again.faceCalls).toEqual([{}]);
  });

  it('refuses a face sign-in without a liveness capture by default, before asking biometrics', async () => {
    const { signIn, faceCalls } = setup();
    await expect(
      signIn.loginWithFace({
        identifier: 'ana',
        userId: '',
        image: Buffer.from('photo'),
        largestFace: false,
        client,
      }),
    ).rejects.toMatchObject({ reason: 'LIVENESS_REQUIRED', kind: 'invalid' });
    expect(faceCalls).toEqual([]);
  });

  it('refuses a liveness session started for another name or from another client', async () => {
    const { signIn, faceCalls } = setup();
    const asAna = async (liveness: Awaited<ReturnType<typeof captureFor>>) =>
      signIn.loginWithFace({
        identifier: 'ana',
        userId: '',
        image: Buffer.from('photo'),
        largestFace: false,
        client,
        liveness,
      });
    await expect(asAna(await captureFor('bob'))).rejects.toMatchObject({ reason: 'LIVENESS_MISMATCH' });
    const elsewhere = await captureFor('ana', { ip: '198.51.100.9', userAgent: 'spec' });
    await expect(asAna(elsewhere)).rejects.toMatchObject({ reason: 'LIVENESS_MISMATCH' });
    await expect(asAna({ ...(await captureFor('ana')), session: 'e30.e30.sig' })).rejects.toMatchObject({
      reason: 'LIVENESS_INVALID',
    });
    expect(faceCalls).toEqual([]);
    // The same name in another case is the same sign-in.
    const upper = await captureFor('ANA');
    await expect(asAna(upper)).rejects.toMatchObject({ reason: 'FACE_NOT_MATCHED' });
  });
});
