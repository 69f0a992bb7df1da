/**
 * Origin 004 (DeepEmotion API v2) replayed against /compat/deepemotion: the document's calls in its
 * order (register, login, upload initialize, the upload, finalize, list, details with the analysis)
 * and its error cases, with only the base URL changed.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtures } from '../../biometrics/test/fixtures/faces.js';
import { makeVideo } from '../../biometrics/test/fixtures/video.js';
import { newUser, startMesh, type Mesh } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

let mesh: Mesh;
let dir: string;
let clip: Buffer;
let base: string;

async function call(method: string, path: string, options: { token?: string; body?: unknown } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Body };
}

beforeAll(async () => {
  const fx = await loadFixtures();
  dir = await mkdtemp(join(tmpdir(), 'guardian-compat-004-'));
  clip = await readFile(
    await makeVideo(join(dir, 'entrevista.mp4'), [{ image: fx.people[0]!.file, seconds: 3 }, { seconds: 1 }]),
  );
  mesh = await startMesh({ web: { WEB_AUTH_RATE_LIMIT: '1000' } });
  base = `${mesh.baseUrl}/compat/deepemotion/api/v2`;
}, 300_000);

afterAll(async () => {
  await mesh?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('compat deepemotion (origin 004)', () => {
  it('replays the documented flow: register, login, initialize, upload, finalize, list, details', async () => {
    const user = newUser();
    const registered = await call('POST', '/auth/register', {
      body: { username: user.username, email: user.email, password: user.password },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({
      message: 'Usuário registrado com sucesso.',
      user: { username: user.username, email: user.email },
    });

    const login = await call('POST', '/auth/login', { body: { email: user.email, password: user.password } });
    expect(login.status).toBe(200);
    expect(login.body.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const token = login.body.access_token as string;

    const init = await call('POST', '/videos/upload/initialize', {
      token,
      body: { filename: 'entrevista.mp4', file_size: clip.length },
    });
    expect(init.status).toBe(201);
    expect(init.body).toMatchObject({
      method: 'PUT',
      upload_url: expect.stringMatching(/^\/api\/videos\/uploads\//),
    });
    const put = await fetch(`${mesh.baseUrl}${init.body.upload_url}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: clip,
    });
    expect(put.status).toBe(204);

    const finalized = await call('POST', '/videos/upload/finalize', {
      token,
      body: { video_id: init.body.video_id },
    });
    expect(finalized.status).toBe(202);
    expect(finalized.body.video).toMatchObject({
      id: init.body.video_id,
      filename: 'entrevista.mp4',
      status: 'PENDING',
    });

    const listed = await call('GET', '/videos/', { token });
    expect(listed.status).toBe(200);
    expect(listed.body.map((v: Body) => v.id)).toEqual([init.body.video_id]);

    const details = await waitFor(
      async () => {
        const r = await call('GET', `/videos/${init.body.video_id}`, { token });
        return r.body.status === 'COMPLETED' ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, what: 'COMPLETED' },
    );
    expect(details.status).toBe(200);
    expect(details.body).toMatchObject({ filename: 'entrevista.mp4', status: 'COMPLETED', progress: 100 });
    const analysis = details.body.analysis;
    expect(analysis).toMatchObject({ people: 1, complete: true, next_cursor: null });
    expect(analysis.frames.length).toBe(analysis.frames_total);
    expect(analysis.frames.filter((f: Body) => f.faces.length === 1).length).toBeGreaterThanOrEqual(5);
    expect(analysis.frames[0].faces[0]).toMatchObject({ track_id: 1, emotion: expect.any(String) });
    expect(typeof analysis.dominant_emotion).toBe('string');
  });

  it('answers the error cases in Portuguese with its envelope', async () => {
    const user = newUser();
    await call('POST', '/auth/register', {
      body: { username: user.username, email: user.email, password: user.password },
    });
    const again = await call('POST', '/auth/register', {
      body: { username: user.username, email: `x.${user.email}`, password: user.password },
    });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ message: 'Nome de usuário já está em uso.', error: 'USERNAME_TAKEN' });

    const wrong = await call('POST', '/auth/login', {
      body: { email: user.email, password: 'not the password 123' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ message: 'Credenciais inválidas.', error: 'INVALID_CREDENTIALS' });

    expect(await call('POST', '/auth/login', { body: { email: user.email } })).toMatchObject({
      status: 400,
      body: { message: 'O campo "password" é obrigatório.', error: 'INVALID_INPUT' },
    });

    const noToken = await call('GET', '/videos/');
    expect(noToken).toMatchObject({ status: 401, body: { error: 'UNAUTHORIZED' } });

    const login = await call('POST', '/auth/login', { body: { email: user.email, password: user.password } });
    const token = login.body.access_token as string;
    expect(await call('GET', '/videos/00000000-0000-0000-0000-000000000000', { token })).toMatchObject({
      status: 404,
      body: { message: 'Vídeo não encontrado.', error: 'VIDEO_NOT_FOUND' },
    });

    const junk = Buffer.from('this is not a video at all, just text');
    const init = await call('POST', '/videos/upload/initialize', {
      token,
      body: { filename: 'x.mp4', file_size: junk.length },
    });
    await fetch(`${mesh.baseUrl}${init.body.upload_url}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: junk,
    });
    expect(
      await call('POST', '/videos/upload/finalize', { token, body: { video_id: init.body.video_id } }),
    ).toMatchObject({
      status: 415,
      body: {
        error: 'UNSUPPORTED_FORMAT',
        message: expect.stringContaining('Formato de vídeo não suportado'),
      },
    });
    expect(
      await call('POST', '/videos/upload/initialize', { token, body: { filename: 'x.mp4' } }),
    ).toMatchObject({
      status: 400,
      body: { error: 'INVALID_INPUT' },
    });
  });
});
