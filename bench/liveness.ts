/**
 * Liveness on real clips (../shared/datasets/liveness, its README says what happens when).
 *   npm run bench -- liveness [DIR]
 *
 * Every clip is sampled at 5 fps with ffmpeg (as a clip sent to the service is) and each frame goes
 * once through the service's pipeline (Verify detectors, 68 landmarks, descriptor); captures are then
 * windows of those frames, measured and decided by the service's own code (measureCapture,
 * matchSequence with the shipped rules). Printed:
 *  - BPCER: each genuine clip against the challenges made of its own moves in their order (runs of
 *    2-3 consecutive moves), each capture from 1 s before the first move to 1 s after the last, but
 *    not into the neighbouring moves (it starts and ends halfway between moves, as a capture starts
 *    when the first prompt shows and the user is between moves);
 *  - blinks: the blink clip's annotated blinks found (and none found in blink-free windows);
 *  - APCER: random challenges (seeded) at random moments of the attack clips, of the stationary
 *    genuine clip and of a still photo (one frame repeated); and, for the attack clips, how many of the
 *    100 possible challenges some moment of the replay satisfies (the attacker choosing the moment);
 *  - pose error against the readout burned into shenasa_webcam_yaw_pitch_roll.gif (README's values);
 *  - ms per frame: the whole LivenessService.check on one capture vs the pipeline alone on the same
 *    frames (baseline), alternating rounds.
 * Move times were annotated by watching the clips (contact sheets at 2-10 fps), not from this code's
 * own readings.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { FRAME_BUDGET, LIVENESS_ACTIONS, type LivenessAction } from '@guardian/auth';
import { isDomainError } from '@guardian/domain';
import { facePipelineOptions } from '../apps/biometrics/src/app.js';
import { parseBiometricsConfig } from '../apps/biometrics/src/config.js';
import { jpegFramesArgs, splitJpegStream } from '../apps/biometrics/src/repositories/clip-decoder.js';
import { InferencePool, type DescribeResult } from '../apps/biometrics/src/repositories/inference/index.js';
import { FacePipeline } from '../apps/biometrics/src/services/face-pipeline.js';
import {
  LivenessService,
  measureCapture,
} from '../apps/biometrics/src/services/liveness/liveness.service.js';
import { matchSequence } from '../apps/biometrics/src/services/liveness/sequence.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const DIR = path.resolve(args[0] ?? process.env.LIVENESS_DATASET ?? '../shared/datasets/liveness');
const FPS = 5;
const RANDOM_CHALLENGES = 60;

/** A move, or `other`: something else the person does (a capture does not reach into it). */
type Move = [LivenessAction | 'other', number, number];
interface Clip {
  file: string;
  kind: 'genuine' | 'blinks' | 'stationary' | 'attack';
  /** Genuine: the moves, in order, with when they peak (s). */
  moves?: Move[];
  /** Blink clip: when the eyes are shut (s), in the part that is read. */
  blinks?: number[];
  /** Seconds read from the start. */
  seconds?: number;
}

const CLIPS: Clip[] = [
  {
    file: 'shenasa_webcam_yaw_pitch_roll.gif',
    kind: 'genuine',
    // README: yaw +47..+50 (0.8-1.2 s, the user's own left), -42..-51 (2.0-2.4 s), pitch up (3.6-4.0 s), down (4.8-5.2 s).
    moves: [
      ['turn_left', 0.8, 1.2],
      ['turn_right', 2.0, 2.4],
      ['look_up', 3.6, 4.0],
      ['look_down', 4.8, 5.2],
    ],
  },
  {
    file: 'zubair_real_webcam_turns.webm',
    kind: 'genuine',
    // README: to image-left = the user's right (7-9 s), to image-right = the user's left (10-12 s).
    moves: [
      ['turn_right', 7.0, 8.6],
      ['turn_left', 9.2, 10.6],
    ],
  },
  {
    file: 'fsanet_webcam_yaw_pitch_occlusion.gif',
    kind: 'genuine',
    // Watched at 2 fps: turned to image-left at 3.0-4.0 s, profile to image-right at 4.5 s, up at
    // 5.0-5.5 s, down at 6.0-6.5 s (the turns at 0-1 s start the clip turned: no resting start).
    moves: [
      ['other', 2.3, 2.9], // puts on a cap (README)
      ['turn_right', 3.0, 3.8],
      ['turn_left', 4.3, 4.7],
      ['look_up', 5.0, 5.6],
      ['look_down', 6.0, 6.6],
    ],
  },
  // Watched at 10 fps: eyes shut at 0.4-0.5, 1.7-1.8, 3.4-3.5, 4.7 and 5.8-5.9 s.
  {
    file: 'blinkdetector_selfie_blinks.mp4',
    kind: 'blinks',
    blinks: [0.45, 1.75, 3.45, 4.7, 5.85],
    seconds: 7,
  },
  { file: 'opendbm_frontal_stationary_subj02.mp4', kind: 'stationary' },
  { file: 'zubair_spoof_phone_replay.webm', kind: 'attack' },
  { file: 'manikantha_spoof_screen_replay.mp4', kind: 'attack' },
];

/** mulberry32: a seeded PRNG, so the random challenges replay exactly. */
function prng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every challenge StartLiveness can draw: 2-3 actions, none twice in a row (100). */
function allChallenges(): LivenessAction[][] {
  const out: LivenessAction[][] = [];
  const grow = (prefix: LivenessAction[]) => {
    if (prefix.length >= 2) out.push(prefix);
    if (prefix.length === 3) return;
    for (const a of LIVENESS_ACTIONS) if (a !== prefix.at(-1)) grow([...prefix, a]);
  };
  grow([]);
  return out;
}
const CHALLENGES = allChallenges();

function framesOf(file: string, seconds?: number): Buffer[] {
  const out = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-i', file, ...(seconds ? ['-t', String(seconds)] : []), ...jpegFramesArgs(FPS, 640)],
    { maxBuffer: 512 * 1024 * 1024 },
  );
  return splitJpegStream(out);
}

const config = parseBiometricsConfig({ MONGO_URL: 'mongodb://unused', NATS_URL: 'nats://unused' });
const workers = Number(process.env.BIOMETRICS_INFERENCE_WORKERS ?? 2);
const pool = await InferencePool.start({ workers, backend: config.BIOMETRICS_INFERENCE_BACKEND });
const pipeline = new FacePipeline(pool, facePipelineOptions(config));
console.log(`liveness clips in ${DIR}; ${FPS} fps; backend ${pool.backend}, ${workers} workers`);

interface Analysed {
  clip: Clip;
  frames: Buffer[];
  results: DescribeResult[];
}

async function analyse(clip: Clip): Promise<Analysed> {
  const frames = framesOf(path.join(DIR, clip.file), clip.seconds);
  const results: DescribeResult[] = [];
  for (const frame of frames) results.push(await pipeline.describeFaces(frame, 'verify', {}));
  return { clip, frames, results };
}

/** The decision on frames [from, to) as a capture: budget, measurements, sequence. */
function decide(a: Analysed, from: number, to: number, actions: readonly LivenessAction[]): string {
  const count = to - from;
  if (count < FRAME_BUDGET.minFrames) return 'TOO_FEW_FRAMES';
  if (((count - 1) * 1000) / FPS > FRAME_BUDGET.maxDurationMs) return 'CAPTURE_TOO_LONG';
  try {
    const measured = measureCapture(
      a.results.slice(from, to),
      Array.from({ length: count }, (_, i) => Math.round((i * 1000) / FPS)),
      FRAME_BUDGET.minFrames,
    );
    const d = matchSequence(measured.measures, actions);
    return d.decision === 'pass' ? 'pass' : d.check;
  } catch (error) {
    if (isDomainError(error)) return error.reason;
    throw error;
  }
}

const frameAt = (seconds: number) => Math.max(0, Math.round(seconds * FPS));
const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '—');
const tally = (outcomes: string[]) =>
  Object.entries(outcomes.reduce<Record<string, number>>((m, o) => ((m[o] = (m[o] ?? 0) + 1), m), {}))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

const analysed: Analysed[] = [];
for (const clip of CLIPS) analysed.push(await analyse(clip));

console.log('\n## Genuine clips, challenges of their own moves in order (BPCER)');
let genuineTotal = 0;
let genuineRefused = 0;
for (const a of analysed.filter((x) => x.clip.kind === 'genuine')) {
  const moves = a.clip.moves!;
  const rows: string[] = [];
  for (let len = 2; len <= 3; len++)
    for (let i = 0; i + len <= moves.length; i++) {
      const slice = moves.slice(i, i + len);
      if (slice.some((m) => m[0] === 'other')) continue;
      const run = slice as [LivenessAction, number, number][];
      const before = moves[i - 1];
      const after = moves[i + len];
      const start = Math.max(run[0]![1] - 1, before ? (before[2] + run[0]![1]) / 2 : 0);
      const end = Math.min(run.at(-1)![2] + 1, after ? (run.at(-1)![2] + after[1]) / 2 : Infinity);
      const from = frameAt(start);
      const to = Math.min(a.frames.length, frameAt(end) + 1);
      const outcome = decide(
        a,
        from,
        to,
        run.map((m) => m[0]),
      );
      genuineTotal++;
      if (outcome !== 'pass') genuineRefused++;
      rows.push(`${run.map((m) => m[0]).join('→')}: ${outcome}`);
    }
  console.log(`${a.clip.file} (${a.frames.length} frames): ${rows.join('; ')}`);
}
console.log(
  `BPCER ${pct(genuineRefused, genuineTotal)} (${genuineRefused} of ${genuineTotal} refused; target ≤ 5%)`,
);

console.log('\n## Blinks (blinkdetector_selfie_blinks.mp4)');
for (const a of analysed.filter((x) => x.clip.kind === 'blinks')) {
  // A blink then a turn is not in this clip: the blink alone is checked (matchSequence with ['blink']).
  const found = a.clip.blinks!.map((t) => decide(a, frameAt(t - 1), frameAt(t + 1) + 1, ['blink']));
  const quiet: string[] = [];
  for (const [s, e] of [
    [0.7, 1.6],
    [2.0, 3.3],
    [3.7, 4.6],
  ] as const)
    quiet.push(decide({ ...a, results: a.results }, frameAt(s), frameAt(e) + 1, ['blink']));
  console.log(
    `blinks seen ${found.filter((o) => o === 'pass').length} of ${found.length} (${found.join(', ')}); ` +
      `blink-free windows read as a blink: ${quiet.filter((o) => o === 'pass').length} of ${quiet.length} (${quiet.join(', ')})`,
  );
}

console.log('\n## Random challenges at random moments (APCER; target 0% on stills and random challenges)');
const random = prng(20261206);
const WINDOW = frameAt(6.2) + 1;
let attackTotal = 0;
let attackPassed = 0;
const stills: Analysed[] = [];
const first = analysed.find((x) => x.clip.kind === 'stationary')!;
stills.push({
  clip: { file: `still photo (frame 0 of ${first.clip.file}, repeated)`, kind: 'attack' },
  frames: Array.from({ length: WINDOW }, () => first.frames[0]!),
  results: Array.from({ length: WINDOW }, () => first.results[0]!),
});
for (const a of [
  ...analysed.filter((x) => x.clip.kind === 'attack' || x.clip.kind === 'stationary'),
  ...stills,
]) {
  const outcomes: string[] = [];
  for (let k = 0; k < RANDOM_CHALLENGES; k++) {
    const actions = CHALLENGES[Math.floor(random() * CHALLENGES.length)]!;
    const span = Math.min(WINDOW, a.frames.length);
    const from = Math.floor(random() * (a.frames.length - span + 1));
    outcomes.push(decide(a, from, from + span, actions));
  }
  const passed = outcomes.filter((o) => o === 'pass').length;
  attackTotal += outcomes.length;
  attackPassed += passed;
  console.log(`${a.clip.file}: ${passed} of ${outcomes.length} passed (${tally(outcomes)})`);
}
console.log(`APCER ${pct(attackPassed, attackTotal)} over ${attackTotal} random challenges`);

console.log('\n## Attack clips, the attacker choosing the moment (own-order challenges)');
for (const a of analysed.filter((x) => x.clip.kind === 'attack')) {
  const satisfied = new Set<string>();
  const reasons: string[] = [];
  for (const actions of CHALLENGES)
    for (let from = 0; from + FRAME_BUDGET.minFrames <= a.frames.length; from += FPS) {
      const outcome = decide(a, from, Math.min(a.frames.length, from + WINDOW), actions);
      reasons.push(outcome);
      if (outcome === 'pass') satisfied.add(actions.join('→'));
    }
  console.log(
    `${a.clip.file}: ${satisfied.size} of ${CHALLENGES.length} challenges satisfied at some moment` +
      `${satisfied.size ? ` (${[...satisfied].slice(0, 8).join(', ')}${satisfied.size > 8 ? ', …' : ''})` : ''}; all windows: ${tally(reasons)}`,
  );
}

console.log('\n## Pose against the readout burned into shenasa_webcam_yaw_pitch_roll.gif');
{
  const a = analysed.find((x) => x.clip.file.startsWith('shenasa'))!;
  const measured = measureCapture(
    a.results,
    a.results.map((_, i) => Math.round((i * 1000) / FPS)),
    1,
  );
  const at = (t: number) => measured.measures.filter((m) => Math.abs(m.tMs / 1000 - t) < 0.21);
  const rows: string[] = [];
  const errors: number[] = [];
  for (const [what, from, to, reference] of [
    ['yaw', 0.8, 1.2, 48.5],
    ['yaw', 2.0, 2.4, -46.5],
    ['pitch', 3.6, 4.0, 50],
    ['pitch', 4.8, 5.2, -20],
  ] as const) {
    const values = measured.measures
      .filter((m) => m.tMs / 1000 >= from - 0.01 && m.tMs / 1000 <= to + 0.01)
      .map((m) => m[what]);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    errors.push(Math.abs(mean - reference));
    rows.push(
      `${what} ${from}-${to} s: readout ${reference}°, measured ${mean.toFixed(1)}° (error ${Math.abs(mean - reference).toFixed(1)}°)`,
    );
  }
  const rest = at(0.1)[0];
  console.log(rows.join('\n'));
  console.log(
    `mean absolute error ${(errors.reduce((s, e) => s + e, 0) / errors.length).toFixed(1)}°; at rest (0.1 s) the estimator reads yaw ${rest?.yaw.toFixed(1)}°, pitch ${rest?.pitch.toFixed(1)}° (challenges measure moves from the capture's own rest)`,
  );
}

console.log(
  '\n## Speed: LivenessService.check vs the pipeline alone on the same frames (alternating rounds)',
);
{
  const a = analysed.find((x) => x.clip.file.startsWith('shenasa'))!;
  const frames = a.frames
    .slice(0, frameAt(3.4) + 1)
    .map((image, i) => ({ image, tMs: Math.round((i * 1000) / FPS) }));
  const service = new LivenessService({
    pipeline,
    checks: { claim: async () => true, complete: async () => undefined, forUser: async () => [] },
    verifyChallenge: async () => ({
      sessionId: 'bench',
      purpose: 'sign_in',
      actions: ['turn_left', 'turn_right'],
      issuedAt: new Date(Date.now() - 60_000),
      expiresAt: new Date(Date.now() + 60_000),
      userId: '',
      identifier: '',
      client: '',
    }),
    decodeClip: async () => [],
    budget: FRAME_BUDGET,
  });
  const client = { ip: '', userAgent: '' };
  const base: number[] = [];
  const full: number[] = [];
  let decision = '';
  for (let round = 0; round < 3; round++) {
    let t = performance.now();
    for (const f of frames) await pipeline.describeFaces(f.image, 'verify', {});
    base.push((performance.now() - t) / frames.length);
    t = performance.now();
    const outcome = await service.check(
      { session: 'bench', frames },
      { purpose: 'sign_in', client, userId: '' },
      {},
    );
    full.push((performance.now() - t) / frames.length);
    decision = outcome.decision;
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;
  console.log(
    `${frames.length} frames (decision ${decision}): pipeline alone ${median(base).toFixed(0)} ms/frame (one at a time), ` +
      `LivenessService.check ${median(full).toFixed(0)} ms/frame (2 at a time); ratio ${(median(full) / median(base)).toFixed(2)}`,
  );
}

await pool.close();
