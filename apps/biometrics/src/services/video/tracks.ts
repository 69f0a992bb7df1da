/**
 * Faces linked across sampled frames into tracks (one per person), and the summaries read from them.
 * Pure and serialisable: the analysis stores `TrackerState` with every page of results, so a job
 * taken over by another replica goes on with the same tracks.
 *
 * Linking: a face joins the track whose descriptor is nearest when either
 * - the track was seen in the last LINK_GAP_FRAMES frames, its box overlaps (IoU >= MIN_IOU) and the
 *   descriptor distance is under NEAR_DISTANCE (the same face moving a little), or
 * - the distance is under SAME_PERSON_DISTANCE wherever and whenever it was seen (a person who left
 *   and came back keeps their track).
 * Each track and each face is linked at most once per frame, nearest pairs first. Thresholds: face-api
 * descriptors of one person sit at 0.3-0.5 and of different people above 0.6 (docs/video.md).
 */
import { EXPRESSIONS, type Box, type Expression } from '../../repositories/inference/index.js';

export const MIN_IOU = 0.3;
export const NEAR_DISTANCE = 0.6;
export const SAME_PERSON_DISTANCE = 0.45;
export const LINK_GAP_FRAMES = 2;
/** A track's descriptor is the running mean of its first faces; later ones barely move it. */
const DESCRIPTOR_WEIGHT_CAP = 20;

export type Scores = Record<Expression, number>;

export interface TrackFace {
  score: number;
  box: Box;
  expressions: Scores;
  descriptor: ArrayLike<number>;
}

export interface TrackState {
  id: number;
  box: Box;
  descriptor: number[];
  lastIndex: number;
  firstMs: number;
  lastMs: number;
  frames: number;
  /** Frames in which each expression dominated, and the sum of its scores. */
  dominant: Scores;
  sums: Scores;
  bestScore: number;
  bestMs: number;
  /** The best face as a small JPEG, base64. */
  thumbnail: string;
}

export interface TrackerState {
  nextId: number;
  tracks: TrackState[];
  framesSeen: number;
  framesWithoutFace: number;
}

export const emptyTracker = (): TrackerState => ({
  nextId: 1,
  tracks: [],
  framesSeen: 0,
  framesWithoutFace: 0,
});

const zeroScores = (): Scores => Object.fromEntries(EXPRESSIONS.map((e) => [e, 0])) as Scores;

export function dominantOf(scores: Scores): Expression {
  let best: Expression = 'neutral';
  for (const e of EXPRESSIONS) if (scores[e] > scores[best]) best = e;
  return best;
}

export function iou(a: Box, b: Box): number {
  const x = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const y = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = x * y;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return Math.sqrt(sum);
}

/**
 * Links one frame's faces to tracks (creating tracks for new people) and updates them. Returns each
 * face's track id, in the order of `faces`. Mutates `state`.
 */
export function linkFrame(state: TrackerState, index: number, tMs: number, faces: TrackFace[]): number[] {
  state.framesSeen++;
  if (faces.length === 0) state.framesWithoutFace++;
  const pairs: Array<{ face: number; track: TrackState; d: number }> = [];
  for (const [f, face] of faces.entries()) {
    for (const track of state.tracks) {
      const d = distance(face.descriptor, track.descriptor);
      const recent = index - track.lastIndex <= LINK_GAP_FRAMES;
      if (d < SAME_PERSON_DISTANCE || (recent && d < NEAR_DISTANCE && iou(face.box, track.box) >= MIN_IOU))
        pairs.push({ face: f, track, d });
    }
  }
  pairs.sort((a, b) => a.d - b.d);
  const ids = faces.map(() => 0);
  const taken = new Set<number>();
  for (const { face, track } of pairs) {
    if (ids[face] !== 0 || taken.has(track.id)) continue;
    ids[face] = track.id;
    taken.add(track.id);
  }
  for (const [f, face] of faces.entries()) {
    let track = state.tracks.find((t) => t.id === ids[f]);
    if (!track) {
      track = {
        id: state.nextId++,
        box: face.box,
        descriptor: Array.from(face.descriptor),
        lastIndex: index,
        firstMs: tMs,
        lastMs: tMs,
        frames: 0,
        dominant: zeroScores(),
        sums: zeroScores(),
        bestScore: -1,
        bestMs: tMs,
        thumbnail: '',
      };
      state.tracks.push(track);
      ids[f] = track.id;
    } else {
      const w = Math.min(track.frames, DESCRIPTOR_WEIGHT_CAP);
      track.descriptor = track.descriptor.map((v, i) => (v * w + (face.descriptor[i] ?? 0)) / (w + 1));
    }
    track.box = face.box;
    track.lastIndex = index;
    track.lastMs = tMs;
    track.frames++;
    track.dominant[dominantOf(face.expressions)]++;
    for (const e of EXPRESSIONS) track.sums[e] += face.expressions[e];
  }
  return ids;
}

export interface TrackSummary {
  id: number;
  firstMs: number;
  lastMs: number;
  frames: number;
  dominantExpression: Expression;
  dominantShare: number;
  mean: Scores;
  bestFrameMs: number;
  thumbnail: string;
}

export interface VideoSummary {
  dominantExpression: Expression | '';
  distribution: Scores;
  secondsWithoutFace: number;
  people: number;
  framesAnalyzed: number;
}

export function summarizeTrack(track: TrackState): TrackSummary {
  const dominantExpression = dominantOf(track.dominant);
  const frames = Math.max(1, track.frames);
  return {
    id: track.id,
    firstMs: track.firstMs,
    lastMs: track.lastMs,
    frames: track.frames,
    dominantExpression,
    dominantShare: track.dominant[dominantExpression] / frames,
    mean: Object.fromEntries(EXPRESSIONS.map((e) => [e, track.sums[e] / frames])) as Scores,
    bestFrameMs: track.bestMs,
    thumbnail: track.thumbnail,
  };
}

export function summarizeVideo(state: TrackerState, fps: number): VideoSummary {
  const counts = zeroScores();
  for (const track of state.tracks) for (const e of EXPRESSIONS) counts[e] += track.dominant[e];
  const total = EXPRESSIONS.reduce((sum, e) => sum + counts[e], 0);
  return {
    dominantExpression: total > 0 ? dominantOf(counts) : '',
    distribution: Object.fromEntries(
      EXPRESSIONS.map((e) => [e, total > 0 ? counts[e] / total : 0]),
    ) as Scores,
    secondsWithoutFace: state.framesWithoutFace / fps,
    people: state.tracks.length,
    framesAnalyzed: state.framesSeen,
  };
}
