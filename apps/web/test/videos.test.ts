/**
 * Video analysis through the edge, with the whole mesh as processes: the REST operations and the
 * upload URL (tus core, a connection dropped mid-body and resumed), progress over SSE, the timeline
 * read page by page, the e-mail in the outbox, and a biometrics replica SIGKILLed mid-job whose work
 * another replica finishes from its last stored page, without duplicates.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, waitFor, type AppProcess } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtures } from '../../biometrics/test/fixtures/faces.js';
import { makeVideo } from '../../biometrics/test/fixtures/video.js';
import { trpcClient } from './client.js';
import { MASTER, newUser, startMesh, type Mesh } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

let mesh: Mesh;
let dir: string;
let clip: Buffer;
let longClip: Buffer;
let replica: AppProcess | undefined;

async function rest(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${mesh.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : undefined) as Body,
  };
}

async function signUp() {
  const user = newUser();
  const anonymous = trpcClient(mesh.baseUrl);
  const { user: created } = await anonymous.auth.register.mutate(user);
  const login = await anonymous.auth.login.mutate({ identifier: user.username, password: user.password });
  if (login.mode !== 'token') throw new Error('expected tokens');
  return { id: created.id, token: login.accessToken };
}

/** Sends `bytes` to the upload URL at `offset`; with `dropAfter`, the connection is cut after that many bytes. */
function patch(url: string, token: string, offset: number, bytes: Buffer, dropAfter?: number) {
  return new Promise<{ status: number; offset: string | undefined } | 'dropped'>((resolve, reject) => {
    const req = httpRequest(`${mesh.baseUrl}${url}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/offset+octet-stream',
        'upload-offset': String(offset),
        'tus-resumable': '1.0.0',
        'content-length': String(bytes.length),
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, offset: res.headers['upload-offset'] as string | undefined }),
      );
    });
    req.on('error', (error) => (dropAfter !== undefined ? resolve('dropped') : reject(error)));
    if (dropAfter === undefined) return req.end(bytes);
    req.write(bytes.subarray(0, dropAfter), () => setTimeout(() => req.destroy(), 300));
  });
}

async function head(url: string, token: string) {
  const response = await fetch(`${mesh.baseUrl}${url}`, {
    method: 'HEAD',
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    offset: Number(response.headers.get('upload-offset')),
    length: Number(response.headers.get('upload-length')),
  };
}

async function finishedVideo(token: string, id: string, timeoutMs = 120_000) {
  return waitFor(
    async () => {
      const { body } = await rest('GET', `/api/videos/${id}`, token);
      return ['done', 'failed', 'cancelled'].includes(body.video.state) ? body.video : undefined;
    },
    { timeoutMs, intervalMs: 300, what: `video ${id} finished` },
  );
}

/** Every frame through the REST timeline, following cursors until `complete`. */
async function allFrames(token: string, id: string) {
  const frames: Body[] = [];
  let cursor = '';
  for (let i = 0; i < 200; i++) {
    const { status, body } = await rest(
      'GET',
      `/api/videos/${id}/timeline?pageSize=10&cursor=${cursor}`,
      token,
    );
    expect(status).toBe(200);
    frames.push(...body.frames);
    if (body.complete) return frames;
    cursor = body.nextCursor;
  }
  throw new Error('the timeline never completed');
}

beforeAll(async () => {
  const fx = await loadFixtures();
  dir = await mkdtemp(join(tmpdir(), 'guardian-web-videos-'));
  const a = fx.people[0]!;
  const b = fx.people.find((p) => p.id === 's3-f0') ?? fx.people.find((p) => p.source !== a.source)!;
  [clip, longClip] = await Promise.all([
    readFile(
      await makeVideo(join(dir, 'ab.mp4'), [
        { image: a.file, seconds: 2 },
        { seconds: 1 },
        { image: b.file, seconds: 2 },
      ]),
    ),
    readFile(await makeVideo(join(dir, 'long.webm'), [{ image: b.file, seconds: 30 }], { fps: 5 })),
  ]);
  mesh = await startMesh({
    biometrics: {
      BIOMETRICS_INFERENCE_WORKERS: '1',
      BIOMETRICS_VIDEO_ACK_WAIT_MS: '3000',
    },
    web: { WEB_AUTH_RATE_LIMIT: '1000' },
  });
}, 300_000);

afterAll(async () => {
  await replica?.stop('SIGTERM', 5_000);
  await mesh?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('videos through the edge', () => {
  it('uploads through a dropped connection, analyses, streams progress, and mails the owner', async () => {
    const owner = await signUp();
    const init = await rest('POST', '/api/videos/upload/initialize', owner.token, {
      fileName: 'ab.mp4',
      sizeBytes: clip.length,
    });
    expect(init.status, JSON.stringify(init.body)).toBe(201);
    const { uploadUrl, video } = init.body;
    expect(uploadUrl).toBe(`/api/videos/uploads/${video.id}`);

    // The connection drops part-way: what arrived is kept, HEAD says where to go on.
    const cut = Math.floor(clip.length * 0.7);
    expect(await patch(uploadUrl, owner.token, 0, clip, cut)).not.toEqual({ status: 204 });
    // (The edge is still storing what it received when the client notices the drop.)
    const afterDrop = await waitFor(
      async () => {
        const at = await head(uploadUrl, owner.token);
        return at.offset > 0 ? at : undefined;
      },
      { what: 'the received bytes stored' },
    );
    expect(afterDrop).toMatchObject({ status: 200, length: clip.length });
    expect(afterDrop.offset).toBeGreaterThan(0);
    expect(afterDrop.offset).toBeLessThanOrEqual(cut);
    // A resend from the start is refused with where the upload stands.
    const stale = await patch(uploadUrl, owner.token, 0, clip.subarray(0, 10));
    expect(stale).toEqual({ status: 409, offset: String(afterDrop.offset) });
    // Someone else cannot see or extend it.
    const stranger = await signUp();
    expect((await head(uploadUrl, stranger.token)).status).toBe(404);
    expect(
      await patch(uploadUrl, stranger.token, afterDrop.offset, clip.subarray(afterDrop.offset)),
    ).toMatchObject({ status: 404 });
    expect(await patch(uploadUrl, owner.token, afterDrop.offset, clip.subarray(afterDrop.offset))).toEqual({
      status: 204,
      offset: String(clip.length),
    });

    const finalized = await rest('POST', '/api/videos/upload/finalize', owner.token, { videoId: video.id });
    expect(finalized.status, JSON.stringify(finalized.body)).toBe(200);
    expect(finalized.body.video.state).toBe('queued');

    // Progress as server-sent events, to the end.
    const states: string[] = [];
    const percents: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const sub = trpcClient(mesh.baseUrl, { token: owner.token }).media.progress.subscribe(
        { videoId: video.id },
        {
          onData: ({ video: v }) => {
            states.push(v.state);
            percents.push(v.progress!.percent);
            if (v.state === 'done') {
              sub.unsubscribe();
              resolve();
            }
          },
          onError: reject,
        },
      );
    });
    expect(states.at(-1)).toBe('done');
    expect(percents.at(-1)).toBe(100);

    const done = await finishedVideo(owner.token, video.id);
    expect(done.tracks).toHaveLength(2);
    expect(done.summary.people).toBe(2);
    const frames = await allFrames(owner.token, video.id);
    expect(frames).toHaveLength(done.summary.framesAnalyzed);
    expect(frames.filter((f: Body) => f.faces.length === 1).length).toBeGreaterThanOrEqual(7);

    // Listed; deleting is the owner's; then it is gone.
    expect((await rest('GET', '/api/videos', owner.token)).body.videos.map((v: Body) => v.id)).toContain(
      video.id,
    );
    expect((await rest('GET', '/api/videos', stranger.token)).body.videos).toEqual([]);
    expect((await rest('GET', '/api/videos?all=true', stranger.token)).status).toBe(403);

    // The e-mail, once.
    const master = await trpcClient(mesh.baseUrl).auth.login.mutate({
      identifier: MASTER.username,
      password: MASTER.password,
    });
    if (master.mode !== 'token') throw new Error('expected tokens');
    const admin = trpcClient(mesh.baseUrl, { token: master.accessToken });
    const mails = await waitFor(
      async () => {
        const { notifications } = await admin.admin.deliveries.list.query({
          userId: owner.id,
          templates: ['video_analyzed'],
        });
        return notifications.length > 0 ? notifications : undefined;
      },
      { timeoutMs: 20_000, what: 'video mail' },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(
      (await admin.admin.deliveries.list.query({ userId: owner.id, templates: ['video_analyzed'] }))
        .notifications,
    ).toHaveLength(1);
    const { message } = await admin.admin.deliveries.get.query({ eventId: mails[0]!.eventId });
    expect(message?.text).toContain('ab.mp4');
    expect(message?.text).toContain(`/videos/${video.id}`);

    expect((await rest('DELETE', `/api/videos/${video.id}`, stranger.token)).status).toBe(404);
    expect((await rest('DELETE', `/api/videos/${video.id}`, owner.token)).status).toBe(200);
    expect((await rest('GET', `/api/videos/${video.id}`, owner.token)).status).toBe(404);
  });

  it('a biometrics replica killed mid-job leaves it to another, which resumes without duplicate results', async () => {
    const owner = await signUp();
    const init = await rest('POST', '/api/videos/upload/initialize', owner.token, {
      fileName: 'long.webm',
      sizeBytes: longClip.length,
      sampleFps: 4,
    });
    expect(await patch(init.body.uploadUrl, owner.token, 0, longClip)).toMatchObject({ status: 204 });
    const id = init.body.video.id as string;
    expect((await rest('POST', '/api/videos/upload/finalize', owner.token, { videoId: id })).status).toBe(
      200,
    );
    await waitFor(
      async () => (await rest('GET', `/api/videos/${id}`, owner.token)).body.video.progress.framesDone >= 25,
      { timeoutMs: 60_000, intervalMs: 100, what: 'a page stored' },
    );
    const first = mesh.processes.get('biometrics')!;
    await first.stop('SIGKILL');
    // Another replica (same database and stream, same address so the edge finds it).
    replica = startApp('biometrics', mesh.appEnv.get('biometrics')!);
    mesh.processes.set('biometrics', replica);
    await replica.waitForLog(/"msg":"biometrics ready"/, 150_000);
    const done = await finishedVideo(owner.token, id, 180_000);
    expect(done.state).toBe('done');
    expect(replica.output()).toMatch(/analysis resumed from its last stored page/);
    const frames = await allFrames(owner.token, id);
    expect(frames.map((f: Body) => f.tMs)).toEqual(frames.map((_: Body, i: number) => i * 250));
    expect(frames.length).toBe(done.summary.framesAnalyzed);
    expect(frames.length).toBeGreaterThanOrEqual(118);
    expect(done.tracks).toHaveLength(1);
    expect(done.tracks[0].frames).toBe(frames.filter((f: Body) => f.faces.length > 0).length);
  });
});
