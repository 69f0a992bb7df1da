import { describe, expect, it } from 'vitest';
import type { LivenessAction } from '@guardian/auth';
import { DEFAULT_SEQUENCE_RULES, matchSequence, type FrameMeasure } from './sequence.js';

/** A unit descriptor pointing along axis `k` (distance between two different axes: sqrt 2). */
function descriptor(k = 0, wobble = 0): Float32Array {
  const d = new Float32Array(128);
  d[k] = Math.sqrt(1 - wobble * wobble);
  d[(k + 1) % 128] = wobble;
  return d;
}

type Pose = { yaw?: number; pitch?: number; ear?: number };

/** Frames at 5 fps with the given poses; the face box drifts a little with yaw, as a turning head does. */
function frames(poses: Pose[], person = 0): FrameMeasure[] {
  return poses.map((p, i) => ({
    tMs: i * 200,
    yaw: p.yaw ?? 0,
    pitch: p.pitch ?? 0,
    roll: 0,
    ear: p.ear ?? 0.3,
    box: { x: 100 + (p.yaw ?? 0), y: 80, width: 160, height: 160 },
    descriptor: descriptor(person, (i % 3) * 0.05),
  }));
}

const rest: Pose = {};
const move: Record<LivenessAction, Pose[]> = {
  turn_left: [{ yaw: 15 }, { yaw: 30 }, { yaw: 30 }, { yaw: 12 }, rest],
  turn_right: [{ yaw: -15 }, { yaw: -30 }, { yaw: -30 }, { yaw: -12 }, rest],
  look_up: [{ pitch: 10 }, { pitch: 20 }, { pitch: 20 }, { pitch: 8 }, rest],
  look_down: [{ pitch: -10 }, { pitch: -18 }, { pitch: -18 }, { pitch: -8 }, rest],
  blink: [rest, { ear: 0.12 }, rest],
};
const perform = (actions: LivenessAction[]) => [
  rest,
  rest,
  rest,
  ...actions.flatMap((a) => move[a]),
  rest,
  rest,
];

describe('matchSequence', () => {
  it('passes every move performed in the challenged order', () => {
    for (const actions of [
      ['turn_left', 'turn_right'],
      ['look_up', 'blink', 'turn_right'],
      ['blink', 'look_down'],
      ['turn_right', 'look_up', 'turn_left'],
    ] as LivenessAction[][]) {
      const decision = matchSequence(frames(perform(actions)), actions);
      expect(decision, actions.join(',')).toMatchObject({ decision: 'pass', check: 'PASSED', score: 1 });
      expect(decision.seenAt.every((i, k) => i >= 0 && (k === 0 || i > decision.seenAt[k - 1]!))).toBe(true);
    }
  });

  it('asks a still face to try again (no move seen), whatever the challenge', () => {
    const still = frames(Array.from({ length: 15 }, () => rest));
    for (const actions of [
      ['turn_left', 'blink'],
      ['look_down', 'turn_right', 'look_up'],
    ] as LivenessAction[][])
      expect(matchSequence(still, actions)).toMatchObject({ decision: 'retry', check: 'MOVE_NOT_SEEN' });
  });

  it('fails moves made in another order', () => {
    const done = frames(perform(['turn_right', 'turn_left']));
    expect(matchSequence(done, ['turn_left', 'turn_right'])).toMatchObject({
      decision: 'fail',
      check: 'WRONG_ORDER',
    });
    const updown = frames(perform(['look_down', 'look_up', 'blink']));
    expect(matchSequence(updown, ['look_up', 'look_down', 'blink'])).toMatchObject({
      decision: 'fail',
      check: 'WRONG_ORDER',
    });
  });

  it('fails a capture that performs every move (a replay covering all orders)', () => {
    const everything = frames(perform(['turn_left', 'turn_right', 'look_up', 'look_down', 'turn_left']));
    expect(matchSequence(everything, ['look_up', 'turn_left']).decision).toBe('fail');
  });

  it('asks to retry when a move is too small or missing', () => {
    const small = frames([rest, rest, { yaw: 10 }, { yaw: 12 }, rest, rest, rest, rest]);
    expect(matchSequence(small, ['turn_left', 'turn_right'])).toMatchObject({
      decision: 'retry',
      check: 'MOVE_NOT_SEEN',
    });
    expect(matchSequence(small, ['turn_left', 'turn_right']).score).toBeLessThan(1);
  });

  it('measures moves from the capture resting pose (a camera looking from above)', () => {
    const tilted = perform(['look_up', 'turn_left']).map((p) => ({
      ...p,
      pitch: (p.pitch ?? 0) - 15,
      yaw: (p.yaw ?? 0) + 8,
    }));
    expect(matchSequence(frames(tilted), ['look_up', 'turn_left']).decision).toBe('pass');
    expect(matchSequence(frames(tilted), ['look_down', 'turn_left']).decision).not.toBe('pass');
  });

  it('fails a cut: a gap in time, a face box that jumps or changes size at once', () => {
    const good = frames(perform(['turn_left', 'look_up']));
    const gap = good.map((f, i) =>
      i >= 8 ? { ...f, tMs: f.tMs + DEFAULT_SEQUENCE_RULES.maxGapMs + 100 } : f,
    );
    const jump = good.map((f, i) => (i >= 8 ? { ...f, box: { ...f.box, x: f.box.x + 150 } } : f));
    const zoom = good.map((f, i) => (i >= 8 ? { ...f, box: { ...f.box, width: 260, height: 260 } } : f));
    for (const cut of [gap, jump, zoom])
      expect(matchSequence(cut, ['turn_left', 'look_up'])).toMatchObject({
        decision: 'fail',
        check: 'DISCONTINUITY',
      });
  });

  it('fails a capture whose face becomes someone else', () => {
    const a = frames(perform(['turn_left', 'look_up']), 0);
    const b = frames(perform(['turn_left', 'look_up']), 7);
    const swapped = [...a.slice(0, 9), ...b.slice(9)];
    expect(matchSequence(swapped, ['turn_left', 'look_up'])).toMatchObject({
      decision: 'fail',
      check: 'IDENTITY_CHANGED',
    });
  });

  it('accepts a face whose turned views drift from its frontal view, but not another face at the same pose', () => {
    // Turned frames 0.45 from the resting ones (as far as two people can be), neighbours closer.
    const turned = new Float32Array(128);
    turned[0] = Math.cos(0.45);
    turned[1] = Math.sin(0.45);
    const drifting = frames(perform(['turn_left'])).map((f) =>
      f.yaw >= 20 ? { ...f, descriptor: turned } : f.yaw > 0 ? { ...f, descriptor: descriptor(0, 0.2) } : f,
    );
    expect(matchSequence(drifting, ['turn_left']).decision).toBe('pass');
    // Another person at rest 0.45 from the first: caught at equal poses though never adjacent.
    const other = new Float32Array(128);
    other[0] = Math.cos(0.46);
    other[2] = Math.sin(0.46);
    const swapped = frames(perform(['turn_left'])).map((f, i) => (i > 8 ? { ...f, descriptor: other } : f));
    expect(matchSequence(swapped, ['turn_left'])).toMatchObject({
      decision: 'fail',
      check: 'IDENTITY_CHANGED',
    });
  });

  it('fails a still photo of one person at rest while another makes the moves', () => {
    const other = new Float32Array(128);
    other[0] = Math.cos(0.46);
    other[2] = Math.sin(0.46);
    // The photo rests (frames 0-2); the mover's turned frames drift no more than a turning head's,
    // but the mover's own resting frames are someone else.
    const spliced = frames(perform(['turn_left', 'turn_right'])).map((f, i) =>
      i < 3 ? f : { ...f, descriptor: other },
    );
    expect(matchSequence(spliced, ['turn_left', 'turn_right'])).toMatchObject({
      decision: 'fail',
      check: 'IDENTITY_CHANGED',
    });
  });

  it('fails moves with no rest between them to show who makes them', () => {
    // Straight from one profile to the other and away, never near the frontal frame again.
    const poses = [rest, rest, rest, { yaw: 30 }, { yaw: 40 }, { yaw: -40 }, { yaw: -45 }, { yaw: -45 }];
    expect(matchSequence(frames(poses), ['turn_left', 'turn_right', 'look_up'])).toMatchObject({
      decision: 'retry',
    });
    const noReturn = [
      rest,
      rest,
      rest,
      { yaw: 30 },
      { yaw: 40 },
      { yaw: -40 },
      { yaw: -45 },
      { pitch: 30 },
      { pitch: 30 },
    ];
    expect(matchSequence(frames(noReturn), ['turn_left', 'turn_right', 'look_up'])).toMatchObject({
      decision: 'fail',
      check: 'IDENTITY_CHANGED',
    });
  });

  it('names the most frontal frame as the anchor for the template match', () => {
    const poses = [{ yaw: 5 }, { yaw: 3 }, rest, ...move.turn_left, { yaw: 2 }];
    expect(matchSequence(frames(poses), ['turn_left']).anchor).toBe(2);
  });
});
