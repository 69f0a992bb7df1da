/**
 * Liveness over real gRPC and the real models, with the default policy (enrollment needs a capture).
 * Captures are made from face-api demo photos (fixtures/liveness.ts): a still photo repeated, or the
 * photo's head turned in 3D by its own landmarks, which the landmark net reads as real moves.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { LivenessAction, LivenessChallenge } from '@guardian/auth';
import { waitFor } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtures, type FixtureCatalogue } from './fixtures/faces.js';
import {
  performCapture,
  sourceFace,
  stillCapture,
  type CapturedFrame,
  type SourceFace,
} from './fixtures/liveness.js';
import { eventsOf, failure, startBiometrics, type BiometricsHarness } from './face-harness.js';

let h: BiometricsHarness;
let fx: FixtureCatalogue;
let alice: SourceFace;
let bob: SourceFace;
let carol: SourceFace;
const client = { ip: '192.0.2.50', userAgent: 'camera/1.0' };

/** The photo's landmarks, as biometrics' Detect reports them. */
async function faceOf(id: string): Promise<SourceFace> {
  const file = fx.people.find((p) => p.id === id)!.file;
  const jpeg = await readFile(file);
  const detected = await h.client.detect(
    { image: { source: { $case: 'data', value: jpeg } }, withAgeGender: false },
    { accessToken: await h.token('someone') },
  );
  expect(detected.faces).toHaveLength(1);
  return sourceFace(jpeg, detected.faces[0]!.landmarks);
}

beforeAll(async () => {
  fx = await loadFixtures();
  h = await startBiometrics({
    BIOMETRICS_LIVENESS_ENROLL: 'required',
    BIOMETRICS_FACE_USER_DELAY_AFTER: '100',
    BIOMETRICS_FACE_USER_LOCK_AFTER: '100',
  });
  // Near-frontal demo faces (the turns read symmetric on them).
  alice = await faceOf('s5-f0');
  bob = await faceOf('s5-f3');
  carol = await faceOf('s3-f0');
}, 300_000);

afterAll(async () => {
  await h?.close();
});

/**
 * A real client captures after the challenge is shown: the capture cannot be longer than the time
 * since the session began (biometrics checks it), so wait for that much to pass.
 */
async function captured(challenge: LivenessChallenge, frames: CapturedFrame[]) {
  const span = frames.at(-1)!.tMs;
  const wait = challenge.issuedAt.getTime() + span - 500 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  return frames;
}

async function capture(
  purpose: 'sign_in' | 'enroll',
  actions: LivenessAction[],
  frames: (challenge: LivenessChallenge) => Promise<CapturedFrame[]>,
  options: { userId?: string; ttlSec?: number } = {},
) {
  const { token, challenge } = await h.livenessSession({ purpose, actions, client, ...options });
  return {
    session: token,
    frames: (await captured(challenge, await frames(challenge))).map((f) => ({ image: f.image, tMs: f.tMs })),
    clip: Buffer.alloc(0),
  };
}

const signIn = (userId: string, liveness: Awaited<ReturnType<typeof capture>>, from = client) =>
  h.client.verifyForLogin({ userId, client: from, largestFace: false, liveness });

describe('liveness', () => {
  const userId = 'u-live-alice';

  it('refuses an enrollment from photos under the default policy, and enrolls from a passed capture', async () => {
    const token = await h.token(userId);
    const photo = {
      source: {
        $case: 'data' as const,
        value: await readFile(fx.people.find((p) => p.id === 's5-f0')!.file),
      },
    };
    const refused = await failure(
      h.client.enroll({ userId, images: [photo], largestFace: false, client }, { accessToken: token }),
    );
    expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'LIVENESS_REQUIRED' });

    const liveness = await capture(
      'enroll',
      ['turn_left', 'look_up'],
      () => performCapture(alice, ['turn_left', 'look_up']),
      {
        userId,
      },
    );
    const enrolled = await h.client.enroll(
      { userId, images: [], largestFace: false, client, liveness },
      { accessToken: token },
    );
    expect(enrolled.created).toBe(true);
    expect(enrolled.enrollment?.sampleCount).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('signs in on a capture that performs the challenge, naming the session in the assertion', async () => {
    const liveness = await capture('sign_in', ['turn_right', 'turn_left'], () =>
      performCapture(alice, ['turn_right', 'turn_left']),
    );
    const r = await signIn(userId, liveness);
    expect(r.match).toBe(true);
    const claims = JSON.parse(Buffer.from(r.faceAssertion.split('.')[1]!, 'base64url').toString());
    expect(claims.amr).toEqual(['face', 'liveness']);
    expect(typeof claims.liveness).toBe('string');

    // The same session again: spent.
    expect(await failure(signIn(userId, liveness))).toMatchObject({ reason: 'LIVENESS_REUSED' });
  }, 120_000);

  it('fails a still photo on every challenge, counting each as a failed attempt', async () => {
    const challenges: LivenessAction[][] = [
      ['turn_left', 'turn_right'],
      ['look_up', 'blink', 'turn_left'],
      ['blink', 'look_down'],
    ];
    for (const actions of challenges) {
      const liveness = await capture('sign_in', actions, () => stillCapture(alice, 12));
      const refused = await failure(signIn(userId, liveness));
      expect(refused, actions.join(',')).toMatchObject({
        code: status.UNAUTHENTICATED,
        reason: 'MOVE_NOT_SEEN',
        metadata: { decision: 'retry' },
      });
    }
    // Each one a failed face sign-in (what the notifier's digest of failed attempts mails about).
    const failed = await waitFor(() => {
      const found = eventsOf(h, 'biometric.auth.failed', userId).filter(
        (e) => e.data.reason === 'MOVE_NOT_SEEN',
      );
      return found.length >= 3 && found;
    });
    expect(failed).toHaveLength(3);
  }, 180_000);

  it('fails moves made in another order than asked', async () => {
    const liveness = await capture('sign_in', ['turn_left', 'turn_right'], () =>
      performCapture(alice, ['turn_right', 'turn_left']),
    );
    expect(await failure(signIn(userId, liveness))).toMatchObject({
      reason: 'WRONG_ORDER',
      metadata: { decision: 'fail' },
    });
  }, 120_000);

  it('does not match another person who performs the challenge', async () => {
    const liveness = await capture('sign_in', ['turn_left', 'look_up'], () =>
      performCapture(bob, ['turn_left', 'look_up']),
    );
    const r = await signIn(userId, liveness);
    expect(r.match).toBe(false);
    expect(r.faceAssertion).toBe('');
  }, 120_000);

  it('fails a capture whose face becomes someone else half-way', async () => {
    const liveness = await capture('sign_in', ['turn_left', 'turn_right'], async () => {
      const a = await performCapture(alice, ['turn_left', 'turn_right']);
      // Another person, turned to rest as the first one does (the photos' heads point ~30° apart).
      const b = await performCapture(carol, ['turn_left', 'turn_right'], 5, { yaw: 30, pitch: 6 });
      return [...a.slice(0, 7), ...b.slice(7)];
    });
    expect(await failure(signIn(userId, liveness))).toMatchObject({ reason: 'IDENTITY_CHANGED' });
  }, 120_000);

  it('fails a photo of the user held still while someone else makes the moves', async () => {
    const liveness = await capture('sign_in', ['turn_left', 'look_up'], async () => {
      const still = await stillCapture(alice, 4);
      const mover = await performCapture(carol, ['turn_left', 'look_up'], 5, { yaw: 30, pitch: 6 });
      return [...still, ...mover.slice(2)].map((f, i) => ({ image: f.image, tMs: i * 200 }));
    });
    expect(await failure(signIn(userId, liveness))).toMatchObject({ reason: 'IDENTITY_CHANGED' });
  }, 120_000);

  it('refuses expired sessions, sessions of another client, and captures outside the frame budget', async () => {
    const expired = await capture('sign_in', ['turn_left', 'turn_right'], () => stillCapture(alice, 8), {
      ttlSec: -30,
    });
    expect(await failure(signIn(userId, expired))).toMatchObject({ reason: 'LIVENESS_EXPIRED' });

    const elsewhere = await capture('sign_in', ['turn_left', 'turn_right'], () => stillCapture(alice, 8));
    expect(await failure(signIn(userId, elsewhere, { ...client, ip: '198.51.100.7' }))).toMatchObject({
      code: status.PERMISSION_DENIED,
      reason: 'LIVENESS_MISMATCH',
    });

    const few = await capture('sign_in', ['turn_left', 'turn_right'], () => stillCapture(alice, 3));
    expect(await failure(signIn(userId, few))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      reason: 'TOO_FEW_FRAMES',
    });

    const early = await h.livenessSession({ purpose: 'sign_in', actions: ['blink', 'look_up'], client });
    const frames = (await stillCapture(alice, 30, 5)).map((f) => ({ image: f.image, tMs: f.tMs }));
    // 5.8 s of frames handed in right after the challenge was issued: recorded before it.
    expect(
      await failure(signIn(userId, { session: early.token, frames, clip: Buffer.alloc(0) })),
    ).toMatchObject({
      reason: 'CAPTURE_TOO_LONG',
    });

    const group = await readFile(fx.group.file);
    const crowd = await capture('sign_in', ['turn_left', 'turn_right'], async () =>
      Array.from({ length: 8 }, (_, i) => ({ image: group, tMs: i * 200 })),
    );
    expect(await failure(signIn(userId, crowd))).toMatchObject({ reason: 'MULTIPLE_FACES' });
  }, 180_000);

  it('decodes a WebM clip with ffmpeg like frames, and refuses bytes that are no clip', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'liveness-clip-'));
    try {
      const frames = await performCapture(alice, ['look_up', 'turn_right']);
      for (const [i, f] of frames.entries())
        await writeFile(join(dir, `${String(i).padStart(3, '0')}.jpg`), f.image);
      execFileSync('ffmpeg', [
        '-v',
        'error',
        '-framerate',
        '5',
        '-i',
        join(dir, '%03d.jpg'),
        '-c:v',
        'libvpx',
        '-b:v',
        '2M',
        join(dir, 'clip.webm'),
      ]);
      const clip = await readFile(join(dir, 'clip.webm'));
      const { token, challenge } = await h.livenessSession({
        purpose: 'sign_in',
        actions: ['look_up', 'turn_right'],
        client,
      });
      await captured(challenge, frames);
      const r = await signIn(userId, { session: token, frames: [], clip });
      expect(r.match).toBe(true);

      const junk = await h.livenessSession({
        purpose: 'sign_in',
        actions: ['look_up', 'turn_right'],
        client,
      });
      expect(
        await failure(
          signIn(userId, { session: junk.token, frames: [], clip: Buffer.from('not a video at all') }),
        ),
      ).toMatchObject({
        reason: 'UNSUPPORTED_FORMAT',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('keeps the audit (challenge, per-frame pose, decision) for admins only, and emits biometric.liveness.failed', async () => {
    const { checks } = await h.client.listLivenessChecks(
      { userId, limit: 50 },
      { accessToken: await h.token('admin-1', 'admin') },
    );
    const decisions = checks.map((c) => c.decision);
    expect(decisions).toEqual(expect.arrayContaining(['pass', 'retry', 'fail', 'rejected']));
    const passed = checks.find((c) => c.decision === 'pass' && c.purpose === 'sign_in')!;
    expect(passed.reason).toBe('PASSED');
    expect(passed.frames.length).toBeGreaterThanOrEqual(6);
    const yaws = passed.frames.map((f) => f.yaw);
    expect(Math.max(...yaws) - Math.min(...yaws)).toBeGreaterThan(30);
    expect(passed.frames.every((f) => f.ear > 0)).toBe(true);

    expect(
      await failure(
        h.client.listLivenessChecks({ userId, limit: 5 }, { accessToken: await h.token(userId) }),
      ),
    ).toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    const failedEvents = await waitFor(() => {
      const found = eventsOf(h, 'biometric.liveness.failed', userId).map((e) => e.data);
      return found.length >= 5 && found;
    });
    expect(failedEvents.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['MOVE_NOT_SEEN', 'WRONG_ORDER', 'IDENTITY_CHANGED']),
    );
    expect(failedEvents[0]).toMatchObject({ purpose: 'sign_in', client });
    expect(JSON.stringify(failedEvents)).not.toMatch(/score/i);
  }, 60_000);
});
