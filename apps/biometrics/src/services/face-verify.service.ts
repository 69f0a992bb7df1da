/**
 * 1:1 verification and nameless 1:N face login — the face-login channel. Needs no access token (the
 * user is signing in), so it is throttled per user and per client IP (face-throttle.ts). Order of
 * work, cheapest first: throttle -> enrolled? -> model -> photo -> match. Every attempt is recorded
 * with its auth event in the same write; on a match a face assertion JWT is signed for identity's
 * LoginWithFaceAssertion.
 */
import { randomUUID } from 'node:crypto';
import type { AccessClaims, KeyRing } from '@guardian/auth';
import { DomainError, isDomainError } from '@guardian/domain';
import { pendingEvent, type PendingEvent } from '@guardian/events';
import type { Box } from '../repositories/inference/index.js';
import type { FaceAttemptRepository } from '../repositories/face-attempt.repository.js';
import type { EnrolledRecord, TemplateRepository } from '../repositories/template.repository.js';
import { requireSelfOrAdmin, requireUserId } from './access.js';
import type { FaceIndex } from './face-index.js';
import type { TemplateVault } from './face-index-sync.js';
import type { FacePipeline, ImageInput } from './face-pipeline.js';
import type { CallInfo } from './face.service.js';
import { EVENT_SOURCE } from './face.service.js';
import {
  afterFailure,
  checkThrottle,
  evaluateThrottle,
  successEndsChain,
  type AttemptOutcome,
  type ThrottlePolicy,
} from './face-throttle.js';
import {
  verify,
  distanceToConfidence,
  identifyThreshold,
  verifyThreshold,
  type VerifyResult,
} from './matching.js';
import { assertSameModel } from './template.js';
import {
  livenessRefusal,
  type LivenessInput,
  type LivenessOutcome,
  type LivenessService,
} from './liveness/liveness.service.js';

export const FACE_ASSERTION_ISSUER = 'guardian-biometrics';
export const FACE_ASSERTION_AUDIENCE = 'guardian-identity';

export interface ClientContext {
  ip: string;
  userAgent: string;
}

/** What a face sign-in presents: a photo, or a liveness capture (whose frontal frame is matched). */
export interface ProbeInput {
  image?: ImageInput;
  liveness?: LivenessInput;
}

/** A liveness capture that did not pass: counted as a failed attempt, then refused with its reason. */
class LivenessNotPassed extends Error {
  constructor(readonly outcome: LivenessOutcome) {
    super(outcome.check);
  }
}

export interface FaceAssertion {
  token: string;
  jti: string;
  expiresAt: Date;
}

export interface FaceVerifyResult extends VerifyResult {
  face: Box;
  assertion?: FaceAssertion;
}

export type FaceLoginResult =
  | { match: false; face: Box }
  | {
      match: true;
      userId: string;
      confidence: number;
      thresholdConfidence: number;
      face: Box;
      assertion: FaceAssertion;
    };

const OPEN = { state: 'open', failures: 0 } as const;

const notEnrolled = () => new DomainError('not_found', 'NOT_ENROLLED', 'this user has no face enrollment');

/** Event subject of a nameless face login that matched nobody (events need one). */
export const UNIDENTIFIED_SUBJECT = 'unidentified';

export interface FaceVerifyDeps {
  pipeline: Pick<FacePipeline, 'singleFace'>;
  templates: Pick<TemplateRepository, 'findEnrolled'>;
  attempts: Pick<FaceAttemptRepository, 'record' | 'reserve' | 'forUser' | 'forIp'>;
  vault: Pick<TemplateVault, 'open'>;
  index: Pick<FaceIndex, 'search' | 'size'>;
  liveness: Pick<LivenessService, 'check'>;
  /** Target false-positive identification rate of face sign-in without a name (default: calibration's). */
  identifyFpir?: number;
  assertionKeys: KeyRing;
  policies: { user: ThrottlePolicy; ip: ThrottlePolicy };
  assertionTtlSec: number;
  modelId: string;
  now?: () => Date;
}

/** Photo problems: recorded and reported, never counted toward a lock. */
const REJECTED_PHOTO = new Set([
  'IMAGE_REQUIRED',
  'UNSUPPORTED_FORMAT',
  'IMAGE_TOO_SMALL',
  'IMAGE_TOO_LARGE',
  'PAYLOAD_TOO_LARGE',
  'CORRUPT_IMAGE',
  'EMPTY_IMAGE',
  'INVALID_BASE64',
  'NO_FACE',
  'MULTIPLE_FACES',
  'FACE_TOO_SMALL',
  'LOW_QUALITY',
  // A liveness capture refused before any face was compared.
  'TOO_FEW_FRAMES',
  'TOO_MANY_FRAMES',
  'BAD_FRAME_TIMES',
  'CAPTURE_TOO_LONG',
  'FRAME_RATE',
  'CORRUPT_VIDEO',
  'LIVENESS_REQUIRED',
  'LIVENESS_INVALID',
  'LIVENESS_EXPIRED',
  'LIVENESS_REUSED',
  'LIVENESS_MISMATCH',
]);

export class FaceVerifyService {
  constructor(private readonly deps: FaceVerifyDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /**
   * A signed-in caller's self-check ("is this my face?"): 1:1 against the template of the caller, or
   * of anyone for an admin (otherwise any user could read the distance to another user's template,
   * an oracle to hill-climb a fake face with). Mints no assertion, records no sign-in attempt,
   * counts toward no lock.
   */
  async check(
    caller: AccessClaims,
    userId: string,
    image: ImageInput | undefined,
    call: CallInfo,
  ): Promise<FaceVerifyResult> {
    requireUserId(userId);
    requireSelfOrAdmin(caller, userId, 'face.verify');
    const [record, probe] = await Promise.all([
      this.deps.templates.findEnrolled(userId),
      this.deps.pipeline.singleFace(image, 'verify', call),
    ]);
    if (!record) throw notEnrolled();
    return { ...this.compare(record, probe.descriptor), face: probe.box };
  }

  /** The probe against a template, at the template's threshold (REENROLLMENT_REQUIRED for an older model). */
  private compare(record: EnrolledRecord, descriptor: Float32Array): VerifyResult {
    const { vault, modelId } = this.deps;
    try {
      assertSameModel(record.modelId, modelId);
    } catch {
      throw new DomainError(
        'unprocessable',
        'REENROLLMENT_REQUIRED',
        'the face template was made by an older model; enroll again',
        { metadata: { templateModel: record.modelId, currentModel: modelId } },
      );
    }
    const template = vault.open(record);
    try {
      return verify(
        { vector: template, modelId: record.modelId },
        { vector: descriptor, modelId },
        verifyThreshold(record.sampleCount),
      );
    } finally {
      template.fill(0);
    }
  }

  /**
   * Face sign-in, 1:1 against the user's template (identity's VerifyForLogin): throttled per user
   * and client IP (admitted and counted atomically), every attempt recorded with its event, and on
   * a match a single-use face assertion for identity.
   */
  async verify(
    userId: string,
    input: ProbeInput,
    client: ClientContext,
    call: CallInfo,
  ): Promise<FaceVerifyResult> {
    requireUserId(userId);
    const { policies, templates } = this.deps;
    const now = this.now();
    const [admission, record] = await Promise.all([
      this.admit(userId, client, now),
      templates.findEnrolled(userId),
    ]);
    const { subject: userRecords, ip: ipRecords } = admission;

    const failure = async (
      reason: string,
      distance = 0,
    ): Promise<{ failures: number; locked: boolean; retryAfterMs: number }> => {
      const user = afterFailure(userRecords, policies.user, now);
      const ip = client.ip
        ? afterFailure(ipRecords, policies.ip, now)
        : ({ state: 'open', failures: 0 } as const);
      const locked = user.state === 'locked' || ip.state === 'locked';
      const retryAfterMs = Math.max(
        user.state === 'locked' ? user.retryAfterMs : 0,
        ip.state === 'locked' ? ip.retryAfterMs : 0,
      );
      // Already counted by the reservation.
      await this.record(
        userId,
        client,
        'failure',
        reason,
        now,
        distance,
        [
          this.event('biometric.auth.failed', userId, call, {
            userId,
            reason,
            distance,
            attemptCount: user.failures,
            ipAttemptCount: ip.failures,
            locked,
            retryAfterMs,
            client,
          }),
        ],
        false,
      );
      return { failures: user.failures, locked, retryAfterMs };
    };

    /**
     * A probe that failed: a capture that did not pass counts as a failed attempt; anything else
     * compared no face (a rejected photo, a busy pool, an older template) and does not count.
     */
    const probeFailed = async (error: unknown): Promise<never> => {
      if (error instanceof LivenessNotPassed) {
        await failure(error.outcome.check);
        throw livenessRefusal(error.outcome, 'sign_in');
      }
      await admission.settle('uncounted');
      throw error;
    };

    if (!record) {
      // The photo is analysed all the same: answers and time tell no one whether the account
      // exists or has a face (a photo problem answers as it would for an enrolled user).
      await this.probe(userId, input, client, call, now).catch(probeFailed);
      await failure('NOT_ENROLLED');
      throw notEnrolled();
    }
    let probe;
    let result: VerifyResult;
    try {
      probe = await this.probe(userId, input, client, call, now);
      result = this.compare(record, probe.descriptor);
    } catch (error) {
      return probeFailed(error);
    }

    if (!result.match) {
      await failure('NO_MATCH', result.distance);
      return { ...result, face: probe.box };
    }

    const endsChain = successEndsChain(userRecords, policies.user);
    await admission.settle(endsChain ? 'success' : 'uncounted');
    const assertion = await this.succeed(
      userId,
      { distance: result.distance, confidence: result.confidence },
      false,
      client,
      call,
      now,
      probe.livenessSessionId,
    );
    return { ...result, face: probe.box, assertion };
  }

  /**
   * Admits a face attempt (per user, none for a nameless login, and per client IP), counted as a
   * failure in the same atomic step so parallel attempts see each other; or records it as `blocked`
   * and throws TOO_MANY_ATTEMPTS / FACE_LOCKED.
   */
  private async admit(userId: string, client: ClientContext, now: Date) {
    const { attempts, policies } = this.deps;
    const admission = await attempts.reserve(userId, client.ip, now, {
      user: {
        since: new Date(now.getTime() - policies.user.resetAfterMs),
        admits: (records) => evaluateThrottle(records, policies.user, now).state === 'open',
      },
      ip: {
        since: new Date(now.getTime() - policies.ip.resetAfterMs),
        admits: (records) => evaluateThrottle(records, policies.ip, now).state === 'open',
      },
    });
    if (admission.admitted) return admission;
    const refused =
      checkThrottle(
        userId ? evaluateThrottle(admission.subject, policies.user, now) : OPEN,
        evaluateThrottle(admission.ip, policies.ip, now),
      ) ??
      new DomainError(
        'rate_limited',
        'TOO_MANY_ATTEMPTS',
        'too many face attempts; wait before trying again',
      );
    await this.record(userId, client, 'blocked', refused.reason, now);
    throw refused;
  }

  /**
   * Face login without a name searches everyone, so a false match is about N times likelier than in
   * 1:1: the threshold is the 1:N one for the current gallery size at the configured FPIR
   * (`identifyThreshold`), and no second account may be within it (two close accounts, e.g. duplicates
   * of one person, must sign in by name). Throttled per client IP before the search and per matched
   * user after it; a miss counts against the IP only.
   */
  async identifyForLogin(input: ProbeInput, client: ClientContext, call: CallInfo): Promise<FaceLoginResult> {
    const { attempts, policies, index, modelId } = this.deps;
    const now = this.now();
    const admission = await this.admit('', client, now);
    const ipRecords = admission.ip;
    let probe;
    try {
      probe = await this.probe('', input, client, call, now);
    } catch (error) {
      if (error instanceof LivenessNotPassed) {
        // Counted against the IP by the reservation; recorded with its reason.
        await this.record('', client, 'failure', error.outcome.check, now, undefined, [], false);
        throw livenessRefusal(error.outcome, 'sign_in');
      }
      await admission.settle('uncounted');
      throw error;
    }
    const threshold = identifyThreshold(index.size, this.deps.identifyFpir);
    const [best, runnerUp] = index.search(probe.descriptor, 2, threshold, { modelId });
    if (!best || runnerUp) {
      const ip = afterFailure(ipRecords, policies.ip, now);
      const locked = ip.state === 'locked';
      // Already counted against the IP by the reservation.
      await this.record(
        '',
        client,
        'failure',
        'NO_MATCH',
        now,
        best?.distance,
        [
          this.event('biometric.auth.failed', '', call, {
            userId: '',
            reason: 'NO_MATCH',
            distance: best?.distance ?? 0,
            attemptCount: 0,
            ipAttemptCount: ip.failures,
            locked,
            retryAfterMs: locked ? ip.retryAfterMs : 0,
            client,
          }),
        ],
        false,
      );
      return { match: false, face: probe.box };
    }
    await admission.settle('uncounted');
    const userRecords = await attempts.forUser(
      best.userId,
      new Date(now.getTime() - policies.user.resetAfterMs),
    );
    const userRefused = checkThrottle(evaluateThrottle(userRecords, policies.user, now), OPEN);
    if (userRefused) {
      await this.record(best.userId, client, 'blocked', userRefused.reason, now);
      throw userRefused;
    }
    const assertion = await this.succeed(
      best.userId,
      best,
      successEndsChain(userRecords, policies.user),
      client,
      call,
      now,
      probe.livenessSessionId,
    );
    return {
      match: true,
      userId: best.userId,
      confidence: best.confidence,
      thresholdConfidence: distanceToConfidence(threshold),
      face: probe.box,
      assertion,
    };
  }

  /**
   * The probe's single face, from the photo or from a liveness capture that passed (its most frontal
   * frame); a photo or capture problem is recorded (never counted toward a lock) and rethrown; a
   * capture that did not pass is thrown as LivenessNotPassed for the caller to count.
   */
  private async probe(
    userId: string,
    input: ProbeInput,
    client: ClientContext,
    call: CallInfo,
    now: Date,
  ): Promise<{ descriptor: Float32Array; box: Box; livenessSessionId?: string }> {
    try {
      if (input.liveness) {
        const outcome = await this.deps.liveness.check(
          input.liveness,
          { purpose: 'sign_in', client, userId },
          call,
        );
        if (outcome.decision !== 'pass') throw new LivenessNotPassed(outcome);
        return { ...outcome.faces[0]!, livenessSessionId: outcome.sessionId };
      }
      return await this.deps.pipeline.singleFace(input.image, 'verify', call);
    } catch (error) {
      if (isDomainError(error) && REJECTED_PHOTO.has(error.reason)) {
        await this.record(userId, client, 'rejected', error.reason, now, undefined, [
          this.event('biometric.auth.failed', userId, call, {
            userId,
            reason: error.reason,
            distance: 0,
            attemptCount: 0,
            ipAttemptCount: 0,
            locked: false,
            retryAfterMs: 0,
            client,
          }),
        ]);
      }
      throw error;
    }
  }

  /**
   * A match: signs the face assertion and records the success with its event (counted in the
   * throttle window only when it ends a failure chain).
   */
  private async succeed(
    userId: string,
    { distance, confidence }: { distance: number; confidence: number },
    endsFailureChain: boolean,
    client: ClientContext,
    call: CallInfo,
    now: Date,
    livenessSessionId?: string,
  ): Promise<FaceAssertion> {
    const jti = randomUUID();
    const token = await this.deps.assertionKeys.sign(
      {
        confidence: Math.round(confidence * 1000) / 1000,
        // The liveness session the face was captured in (identity's policy may demand one).
        amr: livenessSessionId ? ['face', 'liveness'] : ['face'],
        ...(livenessSessionId ? { liveness: livenessSessionId } : {}),
      },
      {
        issuer: FACE_ASSERTION_ISSUER,
        audience: FACE_ASSERTION_AUDIENCE,
        subject: userId,
        expiresInSec: this.deps.assertionTtlSec,
        jti,
      },
    );
    const expiresAt = new Date(Date.now() + this.deps.assertionTtlSec * 1000);
    await this.record(
      userId,
      client,
      'success',
      'MATCH',
      now,
      distance,
      [
        this.event('biometric.auth.succeeded', userId, call, {
          userId,
          distance,
          confidence,
          client,
          assertionId: jti,
        }),
      ],
      endsFailureChain,
    );
    return { token, jti, expiresAt };
  }

  private event<T extends 'biometric.auth.failed' | 'biometric.auth.succeeded'>(
    type: T,
    userId: string,
    call: CallInfo,
    data: Parameters<typeof pendingEvent<T>>[1],
  ): PendingEvent {
    return pendingEvent(type, data, {
      source: EVENT_SOURCE,
      subject: userId || UNIDENTIFIED_SUBJECT,
      ...(call.requestId ? { requestId: call.requestId } : {}),
    });
  }

  private async record(
    userId: string,
    client: ClientContext,
    outcome: AttemptOutcome,
    reason: string,
    at: Date,
    distance?: number,
    events: PendingEvent[] = [],
    counted = true,
  ): Promise<void> {
    await this.deps.attempts.record(
      {
        _id: randomUUID(),
        userId,
        ip: client.ip,
        userAgent: client.userAgent,
        outcome,
        reason,
        at,
        ...(distance === undefined ? {} : { distance }),
      },
      events,
      counted,
    );
  }
}
