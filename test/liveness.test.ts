/**
 * Liveness across the mesh, with the production defaults (face sign-in and enrollment need a passed
 * capture), through the public REST API as a client would use it: the attack (a photo of the user)
 * is refused, and the user gets in by following the challenge on camera. Captures are rendered from
 * a face-api demo photo (apps/biometrics/test/fixtures/liveness.ts).
 */
import { readFile } from 'node:fs/promises';
import type { LivenessAction } from '@guardian/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtures } from '../apps/biometrics/test/fixtures/faces.js';
import {
  performCapture,
  sourceFace,
  stillCapture,
  type CapturedFrame,
  type SourceFace,
} from '../apps/biometrics/test/fixtures/liveness.js';
import { MASTER, newUser, startMesh, type Mesh } from '../apps/web/test/harness.js';

const USER_AGENT = 'liveness-test/1.0';

describe('liveness across the mesh (default policy)', () => {
  let mesh: Mesh;
  let photo: Buffer;
  let face: SourceFace;
  let person: ReturnType<typeof newUser>;
  let userId: string;
  let bearer: string;

  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const response = await fetch(`${mesh.baseUrl}${path}`, {
      method,
      headers: {
        'user-agent': USER_AGENT,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // JSON answers of several shapes, read field by field by the tests.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  /**
   * A challenge and the capture that performs it. The renderer turns a photo's head convincingly but
   * cannot shut its eyes, so challenges asking for a blink are put aside (each is a fresh session).
   */
  async function performed(
    start: Record<string, unknown>,
    frames: (actions: LivenessAction[]) => Promise<CapturedFrame[]>,
    token?: string,
  ) {
    for (let tries = 0; tries < 30; tries++) {
      const started = await call('POST', '/api/auth/liveness', start, token);
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const actions = started.body.actions as LivenessAction[];
      if (actions.includes('blink')) continue;
      expect(started.body.budget).toMatchObject({ minFrames: 6, maxFps: 10, maxDurationMs: 8000 });
      const captured = await frames(actions);
      // Captured after the prompts appeared: as long as the capture lasts.
      await new Promise((resolve) => setTimeout(resolve, captured.at(-1)!.tMs));
      return {
        session: started.body.session as string,
        frames: captured.map((f) => ({ image: f.image.toString('base64'), tMs: f.tMs })),
      };
    }
    throw new Error('no challenge without a blink in 30 tries');
  }

  beforeAll(async () => {
    mesh = await startMesh({ liveness: true, web: { WEB_AUTH_RATE_LIMIT: '300' } });
    const fx = await loadFixtures();
    photo = await readFile(fx.people.find((p) => p.id === 's5-f0')!.file);
    person = newUser();
    const registered = await call('POST', '/api/auth/register', person);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    userId = registered.body.user.id;
    bearer = (
      await call('POST', '/api/auth/login', { identifier: person.username, password: person.password })
    ).body.accessToken;
    const detected = await call('POST', '/api/face/detect', { image: photo.toString('base64') }, bearer);
    expect(detected.status).toBe(200);
    face = await sourceFace(photo, detected.body.faces[0].landmarks);
  }, 300_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  it('refuses to enroll from a photo, and enrolls from a capture of the challenge', async () => {
    const byPhoto = await call(
      'POST',
      '/api/user/face/register',
      { images: [photo.toString('base64')] },
      bearer,
    );
    expect(byPhoto.status).toBe(400);
    expect(byPhoto.body.error.reason).toBe('LIVENESS_REQUIRED');

    const liveness = await performed(
      { purpose: 'enroll' },
      (actions) => performCapture(face, actions),
      bearer,
    );
    const enrolled = await call('POST', '/api/user/face/register', { liveness }, bearer);
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201);
    expect(enrolled.body.created).toBe(true);
  }, 120_000);

  it('refuses a photo of the user at face sign-in (the attack), with and without a name', async () => {
    for (const name of [{ username: person.username }, {}]) {
      const attack = await call('POST', '/api/auth/face-login', { ...name, image: photo.toString('base64') });
      expect(attack.status).toBe(400);
      expect(attack.body.error.reason).toBe('LIVENESS_REQUIRED');
      expect(attack.body).not.toHaveProperty('accessToken');
    }
  });

  it('refuses the photo held still in front of the camera: the moves were not seen', async () => {
    const liveness = await performed({ username: person.username }, () => stillCapture(face, 12));
    const still = await call('POST', '/api/auth/face-login', { username: person.username, liveness });
    expect(still.status).toBe(401);
    expect(still.body.error).toMatchObject({ reason: 'MOVE_NOT_SEEN' });
    expect(JSON.stringify(still.body)).not.toMatch(/score|yaw|distance/i);
  }, 60_000);

  /**
   * A genuine face sign-in, as a user makes it: a second challenge when the first capture was judged
   * `retry` or `fail` (the rendered captures are refused on some random challenges, like real people
   * are: docs/liveness.md, BPCER). The refusal and its challenge are kept for the message.
   */
  async function genuineSignIn(start: Record<string, unknown>, body: Record<string, unknown>) {
    const refused: string[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      let actions: LivenessAction[] = [];
      const liveness = await performed(start, (drawn) => {
        actions = drawn;
        return performCapture(face, drawn);
      });
      const answer = await call('POST', '/api/auth/face-login', { ...body, liveness });
      if (answer.status === 200 || !['fail', 'retry'].includes(answer.body?.error?.metadata?.decision))
        return { answer, liveness, refused };
      refused.push(`${actions.join('>')}: ${answer.body.error.reason}`);
    }
    throw new Error(`a genuine capture was refused twice: ${refused.join('; ')}`);
  }

  it('signs the user in when they follow the challenge, by name and without one; a session is used once', async () => {
    const { answer: named, liveness } = await genuineSignIn(
      { username: person.username },
      { username: person.username },
    );
    expect(named.status, JSON.stringify(named.body)).toBe(200);
    expect(named.body).toMatchObject({ tokenType: 'Bearer', user: { id: userId } });

    const again = await call('POST', '/api/auth/face-login', { username: person.username, liveness });
    expect(again.body.error.reason).toBe('LIVENESS_REUSED');

    const { answer: found } = await genuineSignIn({}, {});
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(found.body.user.id).toBe(userId);

    // A session started for one name does not sign in another.
    const forOther = await performed({ username: 'someone-else' }, (actions) =>
      performCapture(face, actions),
    );
    const mismatch = await call('POST', '/api/auth/face-login', {
      username: person.username,
      liveness: forOther,
    });
    expect(mismatch.status).toBe(403);
    expect(mismatch.body.error.reason).toBe('LIVENESS_MISMATCH');
  }, 180_000);

  it("shows the checks in the user's history to admins: challenge, per-frame pose and decision", async () => {
    const master = (
      await call('POST', '/api/auth/login', { identifier: MASTER.username, password: MASTER.password })
    ).body.accessToken as string;
    const detail = await call('GET', `/api/admin/users/${userId}`, undefined, master);
    expect(detail.status).toBe(200);
    const checks = detail.body.livenessChecks as {
      decision: string;
      actions: string[];
      frames: { yaw: number }[];
    }[];
    expect(checks.map((c) => c.decision)).toEqual(expect.arrayContaining(['pass', 'retry']));
    expect(checks.every((c) => c.actions.length >= 2)).toBe(true);
    expect(checks.find((c) => c.decision === 'pass')!.frames.length).toBeGreaterThanOrEqual(6);
  });
});
