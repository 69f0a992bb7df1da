import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { CachedJwks, Role } from '@guardian/auth';
import { DomainError, invalid, unauthenticated } from '@guardian/domain';
import type { AttemptReservation } from '@guardian/mongo';
import type { AuthAttemptRecord, AuthAttemptRepository } from '../repositories/auth-attempt.repository.js';
import type { LoginMethod, SessionRecord, SessionRepository } from '../repositories/session.repository.js';
import type { UserRecord, UserRepository } from '../repositories/user.repository.js';
import type { AccessTokens } from './access-tokens.js';
import {
  type AttemptRecord,
  type ThrottlePolicy,
  assertNotThrottled,
  throttleRefusal,
  evaluateThrottle,
  afterFailure,
  successEndsChain,
} from './brute-force.js';
import type { CredentialService } from './credentials.service.js';
import type { ClientContext, EventFactory } from './events.js';
import { type ClaimJti, type FaceAssertionRules, verifyFaceAssertion } from './face-assertion.js';
import type { LivenessSessions } from './liveness.service.js';
import { MAX_PASSWORD_INPUT, type PasswordHasher } from './password-hasher.js';
import {
  type RefreshPolicy,
  formatRefreshToken,
  newRefreshSecret,
  sessionExpiresAt,
} from './refresh-tokens.js';

export interface TokenPairResult {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  sessionId: string;
}

export interface AuthPolicies {
  account: ThrottlePolicy;
  ip: ThrottlePolicy;
  refresh: RefreshPolicy;
  faceAssertion: FaceAssertionRules;
  /** Roles allowed to sign in with a face alone (default: user only). */
  faceLoginRoles?: readonly Role[];
  /** `required` (default): face sign-in needs a passed liveness capture; `optional`: a photo will do. */
  livenessSignIn?: 'required' | 'optional';
}

/** A liveness capture as the client sent it (biometrics checks and scores it). */
export interface LivenessCaptureInput {
  session: string;
  frames: { image: Uint8Array; tMs: number }[];
  clip: Uint8Array;
}

/** A face sign-in decision from biometrics (its VerifyForLogin / IdentifyForLogin). */
export interface FaceMatch {
  match: boolean;
  confidence: number;
  /** The single-use face assertion, on a match. */
  faceAssertion: string;
}

/**
 * biometrics' sign-in decisions, asked with identity's service credential. Photo problems (NO_FACE,
 * ...) and NOT_ENROLLED come back as DomainErrors with biometrics' reasons.
 */
export interface FaceMatcher {
  verifyForLogin(
    request: {
      userId: string;
      image: Buffer;
      client: ClientContext;
      largestFace: boolean;
      liveness?: LivenessCaptureInput;
    },
    requestId?: string,
  ): Promise<FaceMatch>;
  identifyForLogin(
    request: { image: Buffer; client: ClientContext; largestFace: boolean; liveness?: LivenessCaptureInput },
    requestId?: string,
  ): Promise<FaceMatch>;
}

export interface SignInServiceDeps {
  users: UserRepository;
  faces: FaceMatcher;
  liveness: Pick<LivenessSessions, 'forSignIn'>;
  sessions: SessionRepository;
  attempts: AuthAttemptRepository;
  hasher: PasswordHasher;
  tokens: Pick<AccessTokens, 'issue'>;
  faceJwks: CachedJwks;
  claimJti: ClaimJti;
  events: EventFactory;
  policies: AuthPolicies;
  /** A one-time password is replaced at the sign-in that uses it. */
  credentials: Pick<CredentialService, 'replaceOneTimePassword'>;
  clock?: () => Date;
}

/** The id a face sign-in uses for a name no account has: stable per name, never an account's. */
const unknownAccountId = (name: string) =>
  `unknown:${createHash('sha256').update(name.toLowerCase()).digest('hex').slice(0, 32)}`;

const invalidCredentials = () =>
  unauthenticated('INVALID_CREDENTIALS', 'Invalid username/e-mail or password.');

/**
 * Signing in: password (attempts admitted and counted atomically before argon2, brute-force.ts),
 * face (identity resolves the account, biometrics decides, the assertion is checked and used once)
 * and opening the session, with every attempt in the log and its event.
 */
export class SignInService {
  private readonly clock: () => Date;

  constructor(private readonly deps: SignInServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async login(
    input: { identifier: string; password: string; newPassword?: string; client: ClientContext },
    requestId?: string,
  ): Promise<{ user: UserRecord; tokens: TokenPairResult }> {
    const identifier = input.identifier.trim().toLowerCase();
    if (!identifier || !input.password)
      throw invalid('MISSING_CREDENTIALS', 'Username/e-mail and password are required.');
    const now = this.clock();
    const user = identifier.length <= 320 ? await this.deps.users.findByIdentifierWithHash(identifier) : null;
    const accountKey = user ? user._id : `unknown:${identifier.slice(0, 320)}`;
    const admission = await this.admit(accountKey, user, input.client, now, {
      identifier,
      method: 'password',
      requestId,
    });
    const accountRecords = admission.subject;
    const since = user?.unlockedAt ?? undefined;

    let ok = false;
    try {
      if (user?.passwordHash && input.password.length <= MAX_PASSWORD_INPUT)
        ok = await this.deps.hasher.verify(user.passwordHash, input.password);
      else await this.deps.hasher.verifyUnknownUser(input.password.slice(0, MAX_PASSWORD_INPUT));
    } catch (error) {
      await admission.settle('uncounted');
      throw error;
    }

    if (!ok) {
      await this.recordFailure({
        accountKey,
        user,
        identifier,
        method: 'password',
        reason: 'INVALID_CREDENTIALS',
        client: input.client,
        now,
        accountRecords,
        since,
        requestId,
        reserved: true,
      });
      throw invalidCredentials();
    }
    const endsChain = successEndsChain(accountRecords, this.deps.policies.account, since);
    // Only someone who knows the password learns that the account is disabled.
    if (user!.status === 'disabled') {
      await admission.settle('uncounted');
      throw new DomainError('forbidden', 'ACCOUNT_DISABLED', 'This account is disabled.');
    }
    await admission.settle(endsChain ? 'success' : 'uncounted');
    if (user!.passwordChangeRequired) {
      // A password shown once (the first master's) opens no session: it is replaced first.
      await this.deps.credentials.replaceOneTimePassword(
        user!,
        input.password,
        input.newPassword,
        input.client,
        requestId,
      );
      return this.openSession(user!, 'password', identifier, input.client, now, false, requestId);
    }
    if (this.deps.hasher.needsRehash(user!.passwordHash!)) {
      await this.deps.users.update(user!._id, {
        $set: { passwordHash: await this.deps.hasher.hash(input.password) },
      });
    }
    return this.openSession(user!, 'password', identifier, input.client, now, false, requestId);
  }

  /**
   * Face sign-in: with a name (username, e-mail or user id), 1:1 against that account's face;
   * without, among every enrolled face. A name no account has is still sent to biometrics (as an id
   * no account can have): the photo is analysed and throttled as for a real account, so neither the
   * answer nor the time tells who exists. Every failure to match is FACE_NOT_MATCHED.
   */
  async loginWithFace(
    input: {
      identifier: string;
      userId: string;
      image: Buffer;
      largestFace: boolean;
      client: ClientContext;
      liveness?: LivenessCaptureInput;
    },
    requestId?: string,
  ): Promise<{ user: UserRecord; tokens: TokenPairResult; confidence: number }> {
    const notMatched = () =>
      unauthenticated('FACE_NOT_MATCHED', 'The face was not recognised for this sign-in.');
    const { image, largestFace, client, liveness } = input;
    const name = input.userId.trim() || input.identifier.trim();
    if (liveness) await this.deps.liveness.forSignIn(liveness.session, name, client);
    else if (this.livenessRequired)
      throw invalid(
        'LIVENESS_REQUIRED',
        'Face sign-in needs a liveness capture: start one with StartLiveness and follow its moves.',
      );
    const live = liveness ? { liveness } : {};
    let found: FaceMatch;
    if (name) {
      const user = input.userId.trim()
        ? await this.deps.users.findById(name)
        : name.length <= 320
          ? await this.deps.users.findByIdentifierWithHash(name)
          : null;
      const userId = user?._id ?? unknownAccountId(name);
      found = await this.deps.faces
        .verifyForLogin({ userId, image, client, largestFace, ...live }, requestId)
        .catch((error: unknown) => {
          if (error instanceof DomainError && error.reason === 'NOT_ENROLLED') throw notMatched();
          throw error;
        });
    } else {
      found = await this.deps.faces.identifyForLogin({ image, client, largestFace, ...live }, requestId);
    }
    if (!found.match || !found.faceAssertion) throw notMatched();
    const session = await this.loginWithFaceAssertion({ assertion: found.faceAssertion, client }, requestId);
    return { ...session, confidence: found.confidence };
  }

  async loginWithFaceAssertion(
    input: { assertion: string; client: ClientContext },
    requestId?: string,
  ): Promise<{ user: UserRecord; tokens: TokenPairResult }> {
    const now = this.clock();
    const ipRecords = await this.deps.attempts.forIp(
      input.client.ip,
      new Date(now.getTime() - this.deps.policies.ip.resetAfterMs * 2),
      this.ipLimit,
    );
    assertNotThrottled(evaluateThrottle(ipRecords, this.deps.policies.ip, now), 'ip');
    let assertion;
    try {
      assertion = await verifyFaceAssertion(
        input.assertion,
        this.deps.faceJwks,
        this.deps.policies.faceAssertion,
        this.deps.claimJti,
      );
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'unauthenticated') {
        await this.recordFailure({
          accountKey: 'face-assertion',
          user: null,
          identifier: '',
          method: 'face',
          reason: error.reason,
          client: input.client,
          now,
          accountRecords: [],
          since: undefined,
          requestId,
        });
      }
      throw error;
    }
    if (this.livenessRequired && !assertion.liveness)
      throw unauthenticated('LIVENESS_REQUIRED', 'This face assertion was not made from a liveness capture.');
    const user = await this.deps.users.findById(assertion.userId);
    if (!user) throw unauthenticated('INVALID_FACE_ASSERTION', 'Face assertion is not valid.');
    const accountRecords = await this.deps.attempts.forAccount(
      user._id,
      this.accountSince(user, now),
      this.accountLimit,
    );
    const accountState = evaluateThrottle(
      accountRecords,
      this.deps.policies.account,
      now,
      user.unlockedAt ?? undefined,
    );
    if (accountState.state === 'locked') assertNotThrottled(accountState, 'account');
    if (user.status === 'pending_enrollment')
      throw new DomainError(
        'unprocessable',
        'ENROLLMENT_PENDING',
        'Face enrollment has not been confirmed yet.',
      );
    if (user.status === 'disabled')
      throw new DomainError('forbidden', 'ACCOUNT_DISABLED', 'This account is disabled.');
    if (!(this.deps.policies.faceLoginRoles ?? ['user']).includes(user.role))
      throw new DomainError(
        'forbidden',
        'FACE_LOGIN_NOT_ALLOWED',
        'This account signs in with its password: face-only sign-in is off for administrators.',
      );
    const endsChain = successEndsChain(
      accountRecords,
      this.deps.policies.account,
      user.unlockedAt ?? undefined,
    );
    return this.openSession(user, 'face', user.username, input.client, now, endsChain, requestId);
  }

  private get livenessRequired(): boolean {
    return (this.deps.policies.livenessSignIn ?? 'required') === 'required';
  }

  /** How many recent attempts the throttle needs to see (lock growth is capped well before). */
  private get accountLimit(): number {
    return this.deps.policies.account.lockAfter + 32;
  }

  private get ipLimit(): number {
    return this.deps.policies.ip.lockAfter + 32;
  }

  private accountSince(user: UserRecord | null, now: Date): Date {
    const horizon = new Date(now.getTime() - this.deps.policies.account.resetAfterMs * 2);
    const unlocked = user?.unlockedAt;
    return unlocked && unlocked > horizon ? unlocked : horizon;
  }

  /**
   * Admits a password attempt, or refuses it (recorded as `blocked`) while the account or the IP is
   * delayed or locked. Admission and counting are one atomic step per window (the attempt counts as
   * a failure until it settles), so parallel guesses cannot all pass an open window before the first
   * of them is recorded: at most `delayAfter` guesses on one account are ever checked at once.
   */
  private async admit(
    accountKey: string,
    user: UserRecord | null,
    client: ClientContext,
    now: Date,
    meta: { identifier: string; method: LoginMethod; requestId: string | undefined },
  ): Promise<AttemptReservation<AttemptRecord['outcome']>> {
    const since = user?.unlockedAt ?? undefined;
    const { account, ip } = this.deps.policies;
    const admission = await this.deps.attempts.reserve(accountKey, client.ip, now, {
      account: {
        since: this.accountSince(user, now),
        limit: this.accountLimit,
        admits: (records) => evaluateThrottle(records, account, now, since).state === 'open',
      },
      ip: {
        since: new Date(now.getTime() - ip.resetAfterMs * 2),
        limit: this.ipLimit,
        admits: (records) => evaluateThrottle(records, ip, now).state === 'open',
      },
    });
    if (admission.admitted) return admission;
    const accountState = evaluateThrottle(admission.subject, account, now, since);
    const scope = admission.refusedBy === 'subject' ? 'account' : 'ip';
    const refusal = throttleRefusal(
      scope === 'account' ? accountState : evaluateThrottle(admission.ip, ip, now),
      scope,
    );
    const reason = refusal.reason;
    const event = this.deps.events.make(
      'identity.login.failed',
      {
        userId: user?._id ?? '',
        identifier: meta.identifier,
        method: meta.method,
        client: { ip: client.ip, userAgent: client.userAgent },
        attemptCount: accountState.failures,
        reason,
        at: now,
        role: user?.role ?? '',
      },
      user?._id ?? 'unknown',
      meta.requestId,
    );
    const attemptId = randomUUID();
    await this.deps.attempts.record(
      {
        _id: attemptId,
        accountKey,
        userId: user?._id ?? '',
        identifier: meta.identifier,
        ip: client.ip,
        userAgent: client.userAgent,
        method: meta.method,
        outcome: 'blocked',
        reason,
        at: now,
      },
      [event],
    );
    throw refusal;
  }

  private async recordFailure(f: {
    accountKey: string;
    user: UserRecord | null;
    identifier: string;
    method: LoginMethod;
    reason: string;
    client: ClientContext;
    now: Date;
    accountRecords: AttemptRecord[];
    since: Date | undefined;
    requestId: string | undefined;
    /** Already counted in the windows by `admit`. */
    reserved?: boolean;
  }): Promise<void> {
    const after = afterFailure(f.accountRecords, this.deps.policies.account, f.now, f.since);
    const userId = f.user?._id ?? '';
    const client = { ip: f.client.ip, userAgent: f.client.userAgent };
    const failed = this.deps.events.make(
      'identity.login.failed',
      {
        userId,
        identifier: f.identifier,
        method: f.method,
        client,
        attemptCount: after.failures,
        reason: f.reason,
        at: f.now,
        role: f.user?.role ?? '',
      },
      userId || 'unknown',
      f.requestId,
    );
    const attemptId = randomUUID();
    await this.deps.attempts.record(
      {
        _id: attemptId,
        accountKey: f.accountKey,
        userId,
        identifier: f.identifier,
        ip: f.client.ip,
        userAgent: f.client.userAgent,
        method: f.method,
        outcome: 'failure',
        reason: f.reason,
        at: f.now,
      },
      [failed],
      !f.reserved,
    );
    if (after.state === 'locked' && f.user) {
      const locked = this.deps.events.make(
        'identity.account.locked',
        {
          userId,
          lockedUntil: after.until,
          attemptCount: after.failures,
          client,
          channel: f.method,
          role: f.user.role,
        },
        userId,
        f.requestId,
      );
      await this.deps.users.update(userId, { $set: { lockedUntil: after.until } }, [locked]);
    }
  }

  private async openSession(
    user: UserRecord,
    method: LoginMethod,
    identifier: string,
    client: ClientContext,
    now: Date,
    endsFailureChain: boolean,
    requestId?: string,
  ) {
    const sessionId = randomBytes(16).toString('base64url');
    const { secret, hash } = newRefreshSecret();
    const session: Omit<SessionRecord, 'pendingEvents'> = {
      _id: sessionId,
      userId: user._id,
      method,
      ip: client.ip,
      userAgent: client.userAgent,
      refreshHash: hash,
      usedRefreshHashes: [],
      createdAt: now,
      lastUsedAt: now,
      revokedAt: null,
      revokedReason: null,
    };
    const event = this.deps.events.make(
      'identity.login.succeeded',
      {
        userId: user._id,
        sessionId,
        method,
        client: { ip: client.ip, userAgent: client.userAgent },
        at: now,
        role: user.role,
      },
      user._id,
      requestId,
    );
    const attemptId = randomUUID();
    const [access] = await Promise.all([
      this.deps.tokens.issue({ userId: user._id, sessionId, role: user.role, authTime: now }),
      this.deps.sessions.insert(session, [event]),
      this.deps.attempts.record(
        {
          _id: attemptId,
          accountKey: user._id,
          userId: user._id,
          identifier,
          ip: client.ip,
          userAgent: client.userAgent,
          method,
          outcome: 'success',
          reason: '',
          at: now,
        },
        [],
        endsFailureChain,
      ),
      user.lockedUntil ? this.deps.users.update(user._id, { $set: { lockedUntil: null } }) : undefined,
    ]);
    const { passwordHash: _hash, ...safeUser } = user;
    return {
      user: { ...safeUser, lockedUntil: null } as UserRecord,
      tokens: {
        accessToken: access.token,
        accessTokenExpiresAt: access.expiresAt,
        refreshToken: formatRefreshToken(sessionId, secret),
        refreshTokenExpiresAt: sessionExpiresAt(session, this.deps.policies.refresh),
        sessionId,
      },
    };
  }

  /** A user's recent sign-in attempts, newest first. */
  listLoginAttempts(userId: string, limit: number): Promise<AuthAttemptRecord[]> {
    return this.deps.attempts.recentOfUser(userId, limit);
  }
}
