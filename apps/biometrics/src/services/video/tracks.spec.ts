import { describe, expect, it } from 'vitest';
import { EXPRESSIONS } from '../../repositories/inference/index.js';
import {
  emptyTracker,
  iou,
  linkFrame,
  NEAR_DISTANCE,
  SAME_PERSON_DISTANCE,
  summarizeTrack,
  summarizeVideo,
  type Scores,
  type TrackFace,
} from './tracks.js';

const scores = (top: keyof Scores, value = 0.9): Scores => {
  const out = Object.fromEntries(EXPRESSIONS.map((e) => [e, (1 - value) / 6])) as Scores;
  out[top] = value;
  return out;
};
/** A unit descriptor along axis `k`, moved by `d` along axis `k + 1 + side` (distance d from the base). */
const descriptor = (k: number, d = 0, side = 0) =>
  Array.from({ length: 128 }, (_, i) => (i === k ? 1 : i === k + 1 + side ? d : 0));
const face = (x: number, person: number, d = 0, top: keyof Scores = 'neutral', side = 0): TrackFace => ({
  score: 0.9,
  box: { x, y: 100, width: 100, height: 100 },
  expressions: scores(top),
  descriptor: descriptor(person * 3, d, side),
});

describe('linkFrame', () => {
  it('keeps one person moving a little in one track, and a second person in another', () => {
    const state = emptyTracker();
    const ids = [0, 1, 2].map((i) =>
      linkFrame(state, i, i * 500, [face(100 + 10 * i, 0, 0.1), face(400, 1)]),
    );
    expect(ids).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(state.tracks.map((t) => t.frames)).toEqual([3, 3]);
  });

  it('links by position only while the descriptor is near, never across people', () => {
    const state = emptyTracker();
    linkFrame(state, 0, 0, [face(100, 0)]);
    // Same place, a face farther than NEAR_DISTANCE: another person, a new track.
    expect(linkFrame(state, 1, 500, [face(100, 0, NEAR_DISTANCE + 0.1)])).toEqual([2]);
    // Between SAME_PERSON and NEAR: joins only where the box overlaps in a recent frame.
    const between = (SAME_PERSON_DISTANCE + NEAR_DISTANCE) / 2;
    const s2 = emptyTracker();
    linkFrame(s2, 0, 0, [face(100, 0)]);
    expect(linkFrame(s2, 1, 500, [face(105, 0, between)])).toEqual([1]);
    expect(linkFrame(s2, 2, 1000, [face(600, 0, between, 'neutral', 1)])).toEqual([2]);
  });

  it('gives a person who left and came back their track again', () => {
    const state = emptyTracker();
    linkFrame(state, 0, 0, [face(100, 0)]);
    linkFrame(state, 1, 500, []);
    linkFrame(state, 2, 1000, [face(400, 1)]);
    expect(linkFrame(state, 9, 4500, [face(500, 0, 0.2)])).toEqual([1]);
    expect(state.framesWithoutFace).toBe(1);
    expect(state.framesSeen).toBe(4);
  });

  it('links each track at most once per frame (nearest first)', () => {
    const state = emptyTracker();
    linkFrame(state, 0, 0, [face(100, 0)]);
    expect(linkFrame(state, 1, 500, [face(100, 0, 0.3), face(110, 0, 0.1)])).toEqual([2, 1]);
  });

  it('survives a round trip through JSON (the checkpoint) unchanged', () => {
    const state = emptyTracker();
    linkFrame(state, 0, 0, [face(100, 0)]);
    const restored = JSON.parse(JSON.stringify(state)) as typeof state;
    expect(linkFrame(restored, 1, 500, [face(100, 0, 0.05)])).toEqual(
      linkFrame(state, 1, 500, [face(100, 0, 0.05)]),
    );
  });
});

describe('summaries', () => {
  it('dominant expression, its share, mean scores, distribution and time without a face', () => {
    const state = emptyTracker();
    linkFrame(state, 0, 0, [face(100, 0, 0, 'happy')]);
    linkFrame(state, 1, 500, [face(100, 0, 0, 'happy')]);
    linkFrame(state, 2, 1000, [face(100, 0, 0, 'sad')]);
    linkFrame(state, 3, 1500, []);
    const track = summarizeTrack(state.tracks[0]!);
    expect(track).toMatchObject({ dominantExpression: 'happy', frames: 3, firstMs: 0, lastMs: 1000 });
    expect(track.dominantShare).toBeCloseTo(2 / 3);
    expect(track.mean.happy).toBeCloseTo((0.9 + 0.9 + 0.1 / 6) / 3);
    const video = summarizeVideo(state, 2);
    expect(video).toMatchObject({
      dominantExpression: 'happy',
      people: 1,
      framesAnalyzed: 4,
      secondsWithoutFace: 0.5,
    });
    expect(video.distribution.happy).toBeCloseTo(2 / 3);
    expect(video.distribution.sad).toBeCloseTo(1 / 3);
  });

  it('says nothing dominant when no face was seen', () => {
    const state = emptyTracker();
    linkFrame(state, 0, 0, []);
    expect(summarizeVideo(state, 2)).toMatchObject({
      dominantExpression: '',
      people: 0,
      secondsWithoutFace: 0.5,
    });
  });

  it('measures box overlap', () => {
    const a = { x: 0, y: 0, width: 10, height: 10 };
    expect(iou(a, a)).toBe(1);
    expect(iou(a, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(50 / 150);
    expect(iou(a, { x: 20, y: 0, width: 10, height: 10 })).toBe(0);
  });
});
