/**
 * Scores a liveness capture against the challenge identity signed (docs/liveness.md). Order of work,
 * cheapest first: the session token (signature, expiry, client, purpose, account) -> the capture's
 * shape (frame count, sizes, timing) -> the session is claimed (single use) -> frames (clip decoded
 * by ffmpeg) -> faces, landmarks and descriptors per frame -> pose and eye openness -> the sequence.
 * Every claimed session is completed in the audit log with its decision, per-frame measurements and
 * score; a capture that does not pass emits biometric.liveness.failed. The caller gets the decision
 * and the frontal faces to match or enroll, never the score.
 */
import type { AccessClaims, FrameBudget, LivenessChallenge, LivenessPurpose } from '@guardian/auth';
import { DomainError, invalid, isDomainError } from '@guardian/domain';
import { pendingEvent } from '@guardian/events';
import type { DescribeResult } from '../../repositories/inference/index.js';
import { checkFaceQuality } from '../../repositories/inference/index.js';
import type { ClipFrame } from '../../repositories/clip-decoder.js';
import type {
  FrameAudit,
  LivenessCheckRecord,
  LivenessCheckRepository,
} from '../../repositories/liveness-check.repository.js';
import { requireAdmin, requireSelfOrAdmin, requireUserId } from '../access.js';
import type { FacePipeline, ImageInput, SingleFace } from '../face-pipeline.js';
import { EVENT_SOURCE, type CallInfo } from '../face.service.js';
import { normalizeDescriptor } from '../matching-vectors.js';
import { estimatePose, eyeAspectRatio } from './pose.js';
import { DEFAULT_SEQUENCE_RULES, matchSequence, type FrameMeasure, type SequenceRules } from './sequence.js';

/** A capture as the transport hands it over. */
export interface LivenessInput {
  session: string;
  frames: { image: ImageInput; tMs: number }[];
  clip?: Uint8Array;
}

export interface LivenessExpectation {
  purpose: LivenessPurpose;
  client: { ip: string; userAgent: string };
  /** Enroll: the account being enrolled (must be the session's). Sign-in: the account, when named. */
  userId: string;
}

export interface LivenessOutcome {
  sessionId: string;
  decision: 'pass' | 'fail' | 'retry';
  /** PASSED or the failed check (MOVE_NOT_SEEN, WRONG_ORDER, DISCONTINUITY, IDENTITY_CHANGED). */
  check: string;
  /** On a pass: the most frontal faces (the anchor first, up to 3, at least 300 ms apart). */
  faces: SingleFace[];
}

export interface LivenessDeps {
  pipeline: Pick<FacePipeline, 'describeFaces'>;
  checks: Pick<LivenessCheckRepository, 'claim' | 'complete' | 'forUser'>;
  verifyChallenge: (
    token: string,
    expected: { purpose: LivenessPurpose; client: { ip: string; userAgent: string } },
  ) => Promise<LivenessChallenge>;
  decodeClip: (clip: Uint8Array) => Promise<ClipFrame[]>;
  budget: FrameBudget;
  rules?: SequenceRules;
  /** Frames analysed at once (the inference queue is shared with every other request). */
  concurrency?: number;
  now?: () => Date;
}

/** Share of frames that may have no face (turned too far, motion blur) before the capture is NO_FACE. */
const MAX_FACELESS_SHARE = 0.25;
/** Landmark fits beyond these are implausible (measured: failed fits of a full profile read EAR 1.2-2.5, roll 80-90°). */
const MAX_PLAUSIBLE_EAR = 0.6;
const MAX_PLAUSIBLE_ROLL = 60;
/** How far apart (ms) the frames taken as enrollment samples must be. */
const SAMPLE_SPACING_MS = 300;

/** A capture's per-frame measurements (pose, eye openness, box, descriptor) and their audit. */
export interface MeasuredCapture {
  measures: FrameMeasure[];
  audit: FrameAudit[];
  /** The frame index of each measure. */
  index: number[];
}

/**
 * The models' findings per frame -> measurements: MULTIPLE_FACES when any frame shows two faces (a
 * phone held up in front of a face shows both), NO_FACE when too many frames have none.
 */
export function measureCapture(
  results: readonly (Pick<DescribeResult, 'faces'> | undefined)[],
  times: readonly number[],
  minFrames: number,
): MeasuredCapture {
  const measures: FrameMeasure[] = [];
  const audit: FrameAudit[] = [];
  const index: number[] = [];
  let faceless = 0;
  for (const [i, result] of results.entries()) {
    const faces = result?.faces ?? [];
    if (faces.length > 1)
      throw new DomainError(
        'unprocessable',
        'MULTIPLE_FACES',
        `frame ${i}: ${faces.length} faces; only the user may be in view`,
        { metadata: { frameIndex: String(i) } },
      );
    const face = faces[0];
    const pose = face && estimatePose(face.landmarks);
    const ear = face ? eyeAspectRatio(face.landmarks) : 0;
    // A landmark fit no face can have (an eye taller than half its width, the head on its side: what
    // the landmark net returns for a profile it cannot fit) is no measurement.
    if (!face || !pose || ear > MAX_PLAUSIBLE_EAR || Math.abs(pose.roll) > MAX_PLAUSIBLE_ROLL) {
      faceless++;
      audit.push({ tMs: times[i]!, yaw: 0, pitch: 0, roll: 0, ear: 0, face: false });
      continue;
    }
    audit.push({ tMs: times[i]!, ...pose, ear, face: true });
    measures.push({
      tMs: times[i]!,
      ...pose,
      ear,
      box: face.box,
      descriptor: normalizeDescriptor(face.descriptor, 'frame'),
    });
    index.push(i);
  }
  if (faceless > results.length * MAX_FACELESS_SHARE || measures.length < minFrames)
    throw new DomainError(
      'unprocessable',
      'NO_FACE',
      'no face was found in too many frames; keep the face in view',
    );
  return { measures, audit, index };
}

/** The refusal a capture that did not pass answers with (a reason code, no score). */
export function livenessRefusal(outcome: LivenessOutcome, purpose: LivenessPurpose): DomainError {
  const messages: Record<string, string> = {
    MOVE_NOT_SEEN: 'the requested moves were not seen; follow the prompts and try again',
    WRONG_ORDER: 'the moves were not made in the requested order',
    DISCONTINUITY: 'the capture was not continuous',
    IDENTITY_CHANGED: 'the face changed during the capture',
  };
  return new DomainError(
    purpose === 'sign_in' ? 'unauthenticated' : 'unprocessable',
    outcome.check,
    messages[outcome.check] ?? 'the liveness check did not pass',
    { metadata: { decision: outcome.decision, sessionId: outcome.sessionId } },
  );
}

export class LivenessService {
  constructor(private readonly deps: LivenessDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async check(input: LivenessInput, expect: LivenessExpectation, call: CallInfo): Promise<LivenessOutcome> {
    const challenge = await this.deps.verifyChallenge(input.session, expect);
    if (expect.purpose === 'enroll' && challenge.userId !== expect.userId)
      throw new DomainError(
        'forbidden',
        'LIVENESS_MISMATCH',
        'the liveness session was started for another account',
      );
    const now = this.now();
    if (now > challenge.expiresAt)
      throw new DomainError(
        'unauthenticated',
        'LIVENESS_EXPIRED',
        'the liveness session has expired; start a new one',
      );
    this.checkShape(input);
    const claimed = await this.deps.checks.claim(
      {
        _id: challenge.sessionId,
        userId: expect.userId,
        purpose: challenge.purpose,
        actions: challenge.actions,
        issuedAt: challenge.issuedAt,
        ip: expect.client.ip,
        userAgent: expect.client.userAgent,
      },
      now,
    );
    if (!claimed)
      throw new DomainError(
        'unauthenticated',
        'LIVENESS_REUSED',
        'this liveness session was used already; start a new one',
      );

    let frames: FrameAudit[] = [];
    try {
      const captured = input.clip?.length ? await this.deps.decodeClip(input.clip) : input.frames;
      this.checkFrames(captured, challenge, now);
      const analysed = await this.analyse(captured, expect.purpose, call);
      frames = analysed.audit;
      const decision = matchSequence(
        analysed.measures,
        challenge.actions,
        this.deps.rules ?? DEFAULT_SEQUENCE_RULES,
      );
      const outcome: LivenessOutcome = {
        sessionId: challenge.sessionId,
        decision: decision.decision,
        check: decision.check,
        faces: decision.decision === 'pass' ? this.samples(analysed, decision.anchor) : [],
      };
      const events =
        decision.decision === 'pass'
          ? []
          : [
              pendingEvent(
                'biometric.liveness.failed',
                {
                  userId: expect.userId,
                  sessionId: challenge.sessionId,
                  purpose: challenge.purpose,
                  decision: decision.decision,
                  reason: decision.check,
                  client: expect.client,
                },
                {
                  source: EVENT_SOURCE,
                  subject: expect.userId || 'unidentified',
                  ...(call.requestId ? { requestId: call.requestId } : {}),
                },
              ),
            ];
      await this.deps.checks.complete(
        challenge.sessionId,
        {
          decision: decision.decision,
          reason: decision.check,
          score: decision.score,
          frames,
          scoredAt: this.now(),
        },
        events,
      );
      return outcome;
    } catch (error) {
      await this.deps.checks.complete(challenge.sessionId, {
        decision: 'rejected',
        reason: isDomainError(error) ? error.reason : 'INTERNAL',
        score: 0,
        frames,
        scoredAt: this.now(),
      });
      throw error;
    }
  }

  /** A user's liveness audit, newest first: for admins (it holds the scores the user never sees). */
  history(actor: AccessClaims, userId: string, limit: number): Promise<LivenessCheckRecord[]> {
    requireUserId(userId);
    requireAdmin(actor);
    requireSelfOrAdmin(actor, userId);
    return this.deps.checks.forUser(userId, Math.min(Math.max(limit || 20, 1), 100));
  }

  /** The budget's frame count (frames as sent, or as decoded from a clip). */
  private checkCount(count: number): void {
    const { minFrames, maxFrames } = this.deps.budget;
    if (count < minFrames)
      throw invalid('TOO_FEW_FRAMES', `a liveness capture needs at least ${minFrames} frames`, {
        minFrames: String(minFrames),
      });
    if (count > maxFrames)
      throw invalid('TOO_MANY_FRAMES', `a liveness capture has at most ${maxFrames} frames`, {
        maxFrames: String(maxFrames),
      });
  }

  /** What can be refused before the session is spent: counts and sizes. */
  private checkShape(input: LivenessInput): void {
    const { budget } = this.deps;
    if (input.clip?.length) {
      if (input.clip.length > budget.maxCaptureBytes)
        throw invalid('PAYLOAD_TOO_LARGE', `a liveness clip is at most ${budget.maxCaptureBytes} bytes`);
      return;
    }
    this.checkCount(input.frames.length);
    let total = 0;
    for (const frame of input.frames) {
      total += frame.image.length;
      if (frame.image.length > budget.maxFrameBytes || total > budget.maxCaptureBytes)
        throw invalid(
          'PAYLOAD_TOO_LARGE',
          `frames are at most ${budget.maxFrameBytes} bytes, ${budget.maxCaptureBytes} in all`,
        );
    }
  }

  /**
   * Timing: capture times rising from 0, the whole within the budget's duration and frame rates, and
   * no longer than the time since the challenge was issued (frames cannot predate the prompts).
   */
  private checkFrames(frames: readonly { tMs: number }[], challenge: LivenessChallenge, now: Date): void {
    const { budget } = this.deps;
    this.checkCount(frames.length);
    for (let i = 0; i < frames.length; i++) {
      const t = frames[i]!.tMs;
      if (!Number.isInteger(t) || t < 0 || (i > 0 && t <= frames[i - 1]!.tMs))
        throw invalid(
          'BAD_FRAME_TIMES',
          'frame times must be whole milliseconds, rising from the first frame',
        );
    }
    const span = frames.at(-1)!.tMs - frames[0]!.tMs;
    if (span > budget.maxDurationMs)
      throw invalid('CAPTURE_TOO_LONG', `a liveness capture lasts at most ${budget.maxDurationMs} ms`);
    const fps = ((frames.length - 1) * 1000) / Math.max(span, 1);
    if (fps < budget.minFps || fps > budget.maxFps)
      throw invalid('FRAME_RATE', `frames must come at ${budget.minFps}..${budget.maxFps} per second`);
    // One second of slack for clocks and transport.
    if (span > now.getTime() - challenge.issuedAt.getTime() + 1000)
      throw invalid('CAPTURE_TOO_LONG', 'the capture is longer than the time since the challenge was given');
  }

  private async analyse(
    frames: readonly { image: ImageInput; tMs: number }[],
    purpose: LivenessPurpose,
    call: CallInfo,
  ): Promise<MeasuredCapture & { described: (DescribeResult | undefined)[] }> {
    const op = purpose === 'enroll' ? 'enroll' : 'verify';
    const results: (DescribeResult | undefined)[] = new Array(frames.length);
    let next = 0;
    const worker = async () => {
      while (next < frames.length) {
        const i = next++;
        try {
          results[i] = await this.deps.pipeline.describeFaces(frames[i]!.image, op, call);
        } catch (error) {
          if (isDomainError(error) && error.kind === 'invalid')
            throw new DomainError(error.kind, error.reason, `frame ${i}: ${error.message}`, {
              metadata: { ...error.metadata, frameIndex: String(i) },
            });
          throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.concurrency ?? 2, frames.length) }, worker));

    return {
      ...measureCapture(
        results,
        frames.map((f) => f.tMs),
        this.deps.budget.minFrames,
      ),
      described: results,
    };
  }

  /** The anchor and up to two more of the most frontal frames, spaced apart, quality-checked. */
  private samples(
    analysed: { measures: FrameMeasure[]; described: (DescribeResult | undefined)[]; index: number[] },
    anchor: number,
  ): SingleFace[] {
    const order = analysed.measures
      .map((m, k) => ({ k, off: Math.hypot(m.yaw, m.pitch) }))
      .sort((a, b) => (a.k === anchor ? -1 : b.k === anchor ? 1 : a.off - b.off));
    const chosen: number[] = [];
    for (const { k } of order) {
      if (chosen.length === 3) break;
      const t = analysed.measures[k]!.tMs;
      if (chosen.some((c) => Math.abs(analysed.measures[c]!.tMs - t) < SAMPLE_SPACING_MS)) continue;
      chosen.push(k);
    }
    return chosen.map((k) => {
      const result = analysed.described[analysed.index[k]!]!;
      const face = result.faces[0]!;
      checkFaceQuality(face, result.scale);
      return { descriptor: face.descriptor, box: face.box, score: face.score };
    });
  }
}
