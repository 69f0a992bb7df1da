/**
 * Did the frames perform the challenge? Pure decision over per-frame measurements (pose.ts and the
 * face descriptor), in three checks, cheapest first:
 *  1. continuity: no cut in the capture (a frame gap, the face box jumping or changing size more
 *     than a head can move between two frames) -> fail DISCONTINUITY;
 *  2. one person throughout -> fail IDENTITY_CHANGED: every frame's descriptor close to its
 *     neighbour's, to every other frame's taken at the same head pose, and to the most frontal
 *     frame's within a limit that grows with the pose difference; and, once the moves are found,
 *     every move has a frame near the resting pose between it and the moves around it, each such
 *     frame the same person as the most frontal one. (A face turned 50° is as far from its own
 *     frontal view, 0.4-0.5, as two different people are from each other, so a turned frame alone
 *     cannot tell who it is; the person who moves must also be the person at rest.)
 *  3. the moves, in the challenged order: each action is found after the previous one; a different
 *     head move while an action is awaited (not the awaited one, not the return from the previous)
 *     -> fail WRONG_ORDER; an action never seen -> retry MOVE_NOT_SEEN (the user may simply not have
 *     moved enough; the still photo of an attacker lands here too, and both count as a failure).
 * Moves are measured against the capture's own resting pose (the median yaw and pitch: each move is
 * held for a fraction of the capture), so a camera that looks at the user from slightly above does
 * not read as "look down". A wrong move must
 * be held for two frames (a head passing from one side to the other bobs up or down on the way).
 */
import type { LivenessAction } from '@guardian/auth';
import type { Box } from '../../repositories/inference/index.js';
import { euclideanDistance } from '../matching-vectors.js';

export interface FrameMeasure {
  /** Capture time, ms from the first frame. */
  tMs: number;
  yaw: number;
  pitch: number;
  roll: number;
  ear: number;
  box: Box;
  /** L2-normalised face descriptor. */
  descriptor: Float32Array;
}

export interface SequenceRules {
  /** Yaw away from rest that counts as a turn (degrees). */
  turnDeg: number;
  /** Pitch away from rest that counts as looking up / down (degrees). */
  upDeg: number;
  downDeg: number;
  /**
   * A blink: eye aspect ratio at most this share of the capture's open-eye ratio. face-api's landmark
   * net moves the eyelid points little on a closed eye (about -10% on blinkdetector_selfie_blinks.mp4),
   * hence a ratio this close to 1, checked on near-resting frames only.
   */
  blinkRatio: number;
  /** Blinks count on frames within this many degrees of the resting pose. */
  blinkPoseDeg: number;
  /** A move the challenge does not await counts as a wrong move beyond this multiple of its threshold. */
  wrongMoveFactor: number;
  /** Longest gap between two consecutive frames (ms). */
  maxGapMs: number;
  /** Largest face-centre step between consecutive frames, in face widths per 200 ms between them. */
  maxCentreStep: number;
  /** Largest face-size change between consecutive frames (ratio, >= 1). */
  maxSizeStep: number;
  /** Largest descriptor distance between consecutive frames. */
  maxNeighbourDistance: number;
  /** Largest descriptor distance between any two frames whose yaw, pitch and roll differ by at most samePoseDeg. */
  maxSamePoseDistance: number;
  samePoseDeg: number;
  /** The limit from the most frontal frame: maxSamePoseDistance + this much per degree beyond samePoseDeg. */
  anchorSlackPerDeg: number;
  /**
   * Frames within this many degrees of the most frontal frame's pose are "at rest": every move must
   * have such a frame between it and its neighbouring moves (so the person who moves is the one at
   * rest, whom the limits from the most frontal frame hold to it).
   */
  nearRestDeg: number;
}

export const DEFAULT_SEQUENCE_RULES: SequenceRules = {
  turnDeg: 18,
  upDeg: 12,
  downDeg: 10,
  blinkRatio: 0.92,
  blinkPoseDeg: 10,
  wrongMoveFactor: 1.3,
  maxGapMs: 1200,
  maxCentreStep: 0.6,
  maxSizeStep: 1.45,
  // Measured with face-api's descriptors (L2-normalised) on the genuine clips of bench/liveness.ts:
  // at 5 fps a turn to profile steps at most 0.48 between frames, and two frames at equal poses are
  // at most 0.375 apart (turned 20-45°, in motion). Different people are 0.38 apart at the least among
  // the demo photos; on LFW 0.1% of impostor pairs are within 0.377 (calibration.json).
  maxNeighbourDistance: 0.55,
  maxSamePoseDistance: 0.4,
  samePoseDeg: 8,
  // 50° away: 0.65 (a real look up by 47° reads 0.55 from the frontal frame in shenasa's clip).
  anchorSlackPerDeg: 0.006,
  nearRestDeg: 25,
};

export type LivenessCheck = 'PASSED' | 'DISCONTINUITY' | 'IDENTITY_CHANGED' | 'WRONG_ORDER' | 'MOVE_NOT_SEEN';

export interface SequenceDecision {
  decision: 'pass' | 'fail' | 'retry';
  check: LivenessCheck;
  /** Frame index where each action was seen (-1: not seen), in challenge order. */
  seenAt: number[];
  /** The most frontal frame (used for the match against a template). */
  anchor: number;
  /** 0..1 for the audit: how far the weakest awaited move went toward its threshold (1 = reached). */
  score: number;
  /** The capture's resting pose and open-eye ratio. */
  rest: { yaw: number; pitch: number; ear: number };
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

type PoseMove = Exclude<LivenessAction, 'blink'>;
const POSE_MOVES: PoseMove[] = ['turn_left', 'turn_right', 'look_up', 'look_down'];

/** How far a frame goes toward an action: 1 = exactly the threshold. */
function strength(
  action: LivenessAction,
  frame: FrameMeasure,
  rest: SequenceDecision['rest'],
  rules: SequenceRules,
): number {
  switch (action) {
    case 'turn_left':
      return (frame.yaw - rest.yaw) / rules.turnDeg;
    case 'turn_right':
      return (rest.yaw - frame.yaw) / rules.turnDeg;
    case 'look_up':
      return (frame.pitch - rest.pitch) / rules.upDeg;
    case 'look_down':
      return (rest.pitch - frame.pitch) / rules.downDeg;
    case 'blink':
      // 1 at blinkRatio of the open-eye ratio, 0 at fully open; read on near-resting frames only
      // (the landmark net's eye points wander more on a turned face than a blink moves them).
      if (
        Math.abs(frame.yaw - rest.yaw) > rules.blinkPoseDeg ||
        Math.abs(frame.pitch - rest.pitch) > rules.blinkPoseDeg
      )
        return 0;
      return rest.ear > 0 ? (1 - frame.ear / rest.ear) / (1 - rules.blinkRatio) : 0;
  }
}

export function matchSequence(
  frames: readonly FrameMeasure[],
  actions: readonly LivenessAction[],
  rules: SequenceRules = DEFAULT_SEQUENCE_RULES,
): SequenceDecision {
  const rest = {
    yaw: median(frames.map((f) => f.yaw)),
    pitch: median(frames.map((f) => f.pitch)),
    // The eyes are open most of the time: the whole capture's median.
    ear: median(frames.map((f) => f.ear)),
  };
  let anchor = 0;
  frames.forEach((f, i) => {
    const a = frames[anchor]!;
    if (Math.hypot(f.yaw, f.pitch) < Math.hypot(a.yaw, a.pitch)) anchor = i;
  });
  const base = { seenAt: actions.map(() => -1), anchor, score: 0, rest };

  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1]!;
    const b = frames[i]!;
    const width = (a.box.width + b.box.width) / 2;
    const step = Math.hypot(
      a.box.x + a.box.width / 2 - (b.box.x + b.box.width / 2),
      a.box.y + a.box.height / 2 - (b.box.y + b.box.height / 2),
    );
    const size = Math.max(a.box.width / b.box.width, b.box.width / a.box.width);
    // A head moves so far in so much time: a larger step than that between two frames is a cut.
    const interval = Math.max(1, (b.tMs - a.tMs) / 200);
    if (
      b.tMs - a.tMs > rules.maxGapMs ||
      step > rules.maxCentreStep * width * interval ||
      size > rules.maxSizeStep
    )
      return { ...base, decision: 'fail', check: 'DISCONTINUITY' };
  }
  const samePose = (a: FrameMeasure, b: FrameMeasure) =>
    Math.abs(a.yaw - b.yaw) <= rules.samePoseDeg &&
    Math.abs(a.pitch - b.pitch) <= rules.samePoseDeg &&
    Math.abs(a.roll - b.roll) <= rules.samePoseDeg;
  const a0 = frames[anchor]!;
  for (const f of frames) {
    const apart = Math.max(0, Math.hypot(f.yaw - a0.yaw, f.pitch - a0.pitch) - rules.samePoseDeg);
    const limit = rules.maxSamePoseDistance + rules.anchorSlackPerDeg * apart;
    if (euclideanDistance(f.descriptor, a0.descriptor) > limit)
      return { ...base, decision: 'fail', check: 'IDENTITY_CHANGED' };
  }
  for (let i = 1; i < frames.length; i++) {
    const b = frames[i]!;
    for (let j = 0; j < i; j++) {
      const a = frames[j]!;
      const limit = samePose(a, b)
        ? rules.maxSamePoseDistance
        : j === i - 1
          ? rules.maxNeighbourDistance
          : undefined;
      if (limit !== undefined && euclideanDistance(a.descriptor, b.descriptor) > limit)
        return { ...base, decision: 'fail', check: 'IDENTITY_CHANGED' };
    }
  }

  const seenAt = actions.map(() => -1);
  const peak = actions.map(() => 0);
  let step = 0;
  let wrongBefore: PoseMove | undefined;
  for (let i = 0; i < frames.length && step < actions.length; i++) {
    const frame = frames[i]!;
    const awaited = actions[step]!;
    const s = strength(awaited, frame, rest, rules);
    peak[step] = Math.max(peak[step]!, s);
    if (s >= 1) {
      seenAt[step] = i;
      step++;
      wrongBefore = undefined;
      continue;
    }
    const previous = step > 0 ? actions[step - 1] : undefined;
    const wrong = POSE_MOVES.find(
      (move) =>
        move !== awaited && move !== previous && strength(move, frame, rest, rules) >= rules.wrongMoveFactor,
    );
    // Held for two frames: a single frame is a head passing through on its way.
    if (wrong && wrong === wrongBefore) return { ...base, seenAt, decision: 'fail', check: 'WRONG_ORDER' };
    wrongBefore = wrong;
  }
  // The person who moves is the person at rest: a photo of someone held still, with another person
  // making the moves, would otherwise lend the capture its frontal frame (the one matched).
  if (step === actions.length) {
    const poseFromAnchor = (f: FrameMeasure) => Math.hypot(f.yaw - a0.yaw, f.pitch - a0.pitch);
    const atRest = frames.map((f) => poseFromAnchor(f) <= rules.nearRestDeg);
    for (let k = 0; k < actions.length; k++) {
      const from = k > 0 ? seenAt[k - 1]! : 0;
      const to = k + 1 < actions.length ? seenAt[k + 1]! : frames.length - 1;
      if (!atRest.slice(from, to + 1).some(Boolean))
        return { ...base, seenAt, decision: 'fail', check: 'IDENTITY_CHANGED' };
    }
  }
  const score = Math.min(1, ...peak.map((p) => Math.max(0, p)));
  if (step < actions.length) return { ...base, seenAt, score, decision: 'retry', check: 'MOVE_NOT_SEEN' };
  return { ...base, seenAt, score, decision: 'pass', check: 'PASSED' };
}
