import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curl } from './client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { facePhoto, photoWithoutFace } from './faces.js';
import { MASTER, newUser, startMesh, type Mesh } from './harness.js';

describe('REST mirror (curl)', () => {
  let mesh: Mesh;
  let base: string;

  beforeAll(async () => {
    mesh = await startMesh();
    base = mesh.baseUrl;
  }, 200_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  /** A new account registered and signed in through the REST mirror: curl's Bearer header for it. */
  /** POST /api/auth/login with a username or e-mail; the answer as curl saw it. */
  const passwordLogin = (identifier: string, password: string) =>
    curl([
      '-X',
      'POST',
      `${base}/api/auth/login`,
      '-H',
      'content-type: application/json',
      '-d',
      JSON.stringify({ identifier, password }),
    ]);

  async function signUp() {
    const user = newUser();
    const json = ['-X', 'POST', '-H', 'content-type: application/json', '-d'];
    const registered = await curl([`${base}/api/auth/register`, ...json, JSON.stringify(user)]);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const login = await passwordLogin(user.username, user.password);
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    return {
      user,
      id: registered.body.user.id as string,
      bearer: ['-H', `authorization: Bearer ${login.body.accessToken as string}`],
    };
  }

  it("runs the older systems' flow: register -> login -> profile -> personal info -> register face -> recognise face -> logout", async () => {
    const user = newUser();
    const alice = await facePhoto('alice');
    const bruno = await facePhoto('bruno');
    const json = ['-H', 'content-type: application/json'];

    const registered = await curl([
      '-X',
      'POST',
      `${base}/api/auth/register`,
      ...json,
      '-d',
      JSON.stringify({
        username: user.username,
        email: user.email,
        password: user.password,
        full_name: user.fullName,
      }),
    ]);
    expect(registered.status).toBe(201);
    expect(registered.body.user).toMatchObject({ username: user.username, fullName: user.fullName });

    const login = await curl([
      '-X',
      'POST',
      `${base}/api/auth/login`,
      ...json,
      '-d',
      JSON.stringify({ username: user.username, password: user.password }),
    ]);
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ tokenType: 'Bearer', user: { username: user.username } });
    const bearer = ['-H', `authorization: Bearer ${login.body.accessToken}`];

    const profile = await curl([`${base}/api/user/profile`, ...bearer]);
    expect(profile.status).toBe(200);
    expect(profile.body.user.email).toBe(user.email);

    const info = await curl([
      '-X',
      'POST',
      `${base}/api/user/info`,
      ...bearer,
      ...json,
      '-d',
      JSON.stringify({
        phone: '(11) 99999-9999',
        address: 'Rua Exemplo',
        birth_date: '1990-01-31',
        bio: 'Dev',
      }),
    ]);
    expect(info.status).toBe(201);
    expect(info.body.user.profile).toMatchObject({
      phone: '(11) 99999-9999',
      address: 'Rua Exemplo',
      birthDate: '1990-01-31',
      bio: 'Dev',
    });

    const enrolled = await curl([
      '-X',
      'POST',
      `${base}/api/user/face/register`,
      ...bearer,
      '-F',
      `image=@${alice.file}`,
    ]);
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201);
    expect(enrolled.body).toMatchObject({
      created: true,
      enrollment: { userId: login.body.user.id, sampleCount: 1 },
    });

    const same = await curl([
      '-X',
      'POST',
      `${base}/api/user/face/recognize`,
      ...bearer,
      '-F',
      `image=@${alice.file}`,
    ]);
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ match: true, userId: login.body.user.id });
    const other = await curl([
      '-X',
      'POST',
      `${base}/api/user/face/recognize`,
      ...bearer,
      '-F',
      `image=@${bruno.file}`,
    ]);
    expect(other.status).toBe(200);
    expect(other.body.match).toBe(false);

    const faceLogin = await curl([
      '-X',
      'POST',
      `${base}/api/auth/face-login`,
      '-F',
      `username=${user.username}`,
      '-F',
      `image=@${alice.file}`,
    ]);
    expect(faceLogin.status, JSON.stringify(faceLogin.body)).toBe(200);
    expect(faceLogin.body).toMatchObject({ tokenType: 'Bearer', user: { id: login.body.user.id } });

    const logout = await curl(['-X', 'POST', `${base}/api/auth/logout`, ...bearer]);
    expect(logout.status).toBe(200);
    const refresh = await curl([
      '-X',
      'POST',
      `${base}/api/auth/refresh`,
      ...json,
      '-d',
      JSON.stringify({ refreshToken: login.body.refreshToken }),
    ]);
    expect(refresh.status).toBe(401);
    expect(refresh.body.error.reason).toBeTruthy();
  });

  it('takes photos as base64 JSON too, refuses what is not an image with 415, compares, detects and removes', async () => {
    const { user, bearer } = await signUp();
    const { bytes } = await facePhoto('bruno');
    const body = join(tmpdir(), `web-b64-${user.username}.json`);
    await writeFile(body, JSON.stringify({ image: `data:image/jpeg;base64,${bytes.toString('base64')}` }));
    const enrolled = await curl([
      '-X',
      'POST',
      `${base}/api/user/face/register`,
      ...bearer,
      '-H',
      'content-type: application/json',
      '--data-binary',
      `@${body}`,
    ]);
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201);
    expect(enrolled.body.enrollment.sampleCount).toBe(1);

    const text = join(tmpdir(), `web-not-image-${user.username}.jpg`);
    await writeFile(text, 'this is not a photo, whatever its name says');
    const refused = await curl([
      '-X',
      'POST',
      `${base}/api/user/face/recognize`,
      ...bearer,
      '-F',
      `image=@${text}`,
    ]);
    expect(refused.status).toBe(415);
    expect(refused.body.error.reason).toBe('UNSUPPORTED_FORMAT');

    const noFace = await curl([
      '-X',
      'POST',
      `${base}/api/face/detect`,
      ...bearer,
      '-F',
      `image=@${(await facePhoto('alice')).file}`,
    ]);
    expect(noFace.status).toBe(200);
    expect(noFace.body.faces).toHaveLength(1);

    const alice = (await facePhoto('alice')).file;
    const bruno = (await facePhoto('bruno')).file;
    const same = await curl([
      '-X',
      'POST',
      `${base}/api/face/compare`,
      ...bearer,
      '-F',
      `image1=@${alice}`,
      '-F',
      `image2=@${alice}`,
    ]);
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(same.body).toMatchObject({
      samePerson: true,
      thresholds: expect.objectContaining({ fmr1e4: expect.any(Number) }),
    });
    const different = await curl([
      '-X',
      'POST',
      `${base}/api/face/compare`,
      ...bearer,
      '-F',
      `image1=@${alice}`,
      '-F',
      `image2=@${bruno}`,
    ]);
    expect(different.body.samePerson).toBe(false);

    expect((await curl([`${base}/api/user/face`, ...bearer])).body).toMatchObject({ enrolled: true });
    expect((await curl(['-X', 'DELETE', `${base}/api/user/face`, ...bearer])).body).toEqual({
      deleted: true,
    });
    expect((await curl([`${base}/api/user/face`, ...bearer])).body).toMatchObject({ enrolled: false });
  });

  it('registers a face-only account, enrolls it with the enrollment token and signs in by face without a name', async () => {
    const user = newUser();
    const bruno = await facePhoto('bruno');
    const json = ['-H', 'content-type: application/json'];
    const registered = await curl([
      '-X',
      'POST',
      `${base}/api/auth/face-only-register`,
      ...json,
      '-d',
      JSON.stringify({ fullName: user.fullName, email: user.email }),
    ]);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body.user).toMatchObject({
      status: 'pending_enrollment',
      registrationKind: 'face_only',
    });
    const { enrollmentToken } = registered.body;
    expect(enrollmentToken).toMatch(/^ey/);

    // The enrollment token is no access token.
    const asBearer = await curl([
      `${base}/api/user/profile`,
      '-H',
      `authorization: Bearer ${enrollmentToken}`,
    ]);
    expect(asBearer.status).toBe(401);

    const enrolled = await curl([
      '-X',
      'POST',
      `${base}/api/auth/face-only-enroll`,
      '-F',
      `enrollmentToken=${enrollmentToken}`,
      '-F',
      `image=@${bruno.file}`,
    ]);
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201);
    expect(enrolled.body).toMatchObject({ created: true, enrollment: { userId: registered.body.user.id } });

    // identity activates the account when it hears biometric.enrolled; until then ENROLLMENT_PENDING.
    const faceLogin = () => curl(['-X', 'POST', `${base}/api/auth/face-login`, '-F', `image=@${bruno.file}`]);
    let login = await faceLogin();
    for (let i = 0; i < 50 && login.body?.error?.reason === 'ENROLLMENT_PENDING'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      login = await faceLogin();
    }
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body).toMatchObject({
      tokenType: 'Bearer',
      user: { id: registered.body.user.id, status: 'active' },
    });

    const forged = await curl([
      '-X',
      'POST',
      `${base}/api/auth/face-only-enroll`,
      '-F',
      'enrollmentToken=not-a-token',
      '-F',
      `image=@${bruno.file}`,
    ]);
    expect(forged.status).toBe(401);
    expect(forged.body.error.reason).toBe('INVALID_TOKEN');
  });

  it('answers every failed face sign-in alike, with no score: unknown account, no face enrolled, another face, a photo without a face', async () => {
    const alice = (await facePhoto('alice')).file;
    const bruno = (await facePhoto('bruno')).file;
    const enrolled = await signUp();
    const register = await curl([
      '-X',
      'POST',
      `${base}/api/user/face/register`,
      ...enrolled.bearer,
      '-F',
      `image=@${alice}`,
    ]);
    expect(register.status, JSON.stringify(register.body)).toBe(201);
    const withoutFace = await signUp();
    const faceLogin = (username: string, photo = bruno) =>
      curl([
        '-X',
        'POST',
        `${base}/api/auth/face-login`,
        '-F',
        `username=${username}`,
        '-F',
        `image=@${photo}`,
      ]);
    const shape = (a: Awaited<ReturnType<typeof faceLogin>>) =>
      JSON.stringify({ status: a.status, ...a.body.error, requestId: undefined });
    const names = [`nobody-${Date.now()}`, withoutFace.user.username, enrolled.user.username];
    const answers: Awaited<ReturnType<typeof faceLogin>>[] = [];
    for (const name of names) answers.push(await faceLogin(name));
    for (const a of answers) {
      expect(a.status, JSON.stringify(a.body)).toBe(401);
      expect(a.body.error.reason).toBe('FACE_NOT_MATCHED');
      expect(JSON.stringify(a.body)).not.toMatch(/confidence|distance|NOT_ENROLLED/i);
    }
    expect(new Set(answers.map(shape)).size).toBe(1);
    // A photo without a face is analysed for every name alike (the analysis is not skipped for
    // unknown accounts or accounts without a face, which would tell them apart by answer and time).
    const noFace = (await photoWithoutFace()).file;
    const photoAnswers: Awaited<ReturnType<typeof faceLogin>>[] = [];
    for (const name of names) photoAnswers.push(await faceLogin(name, noFace));
    expect(photoAnswers[2]!.body.error.reason).toBe('NO_FACE');
    expect(photoAnswers.map(shape)).toEqual(names.map(() => shape(photoAnswers[2]!)));
    // The account's own face signs it in by name (identity resolves the name itself: no read model
    // to wait for after registering).
    const own = await faceLogin(enrolled.user.username, alice);
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body.user.id).toBe(enrolled.id);
  });

  it('manages accounts over REST as an admin does with curl: list with numeric query parameters, create, update, set role, unlock, sessions and attempts, delete', async () => {
    const json = ['-H', 'content-type: application/json'];
    const login = await passwordLogin(MASTER.username, MASTER.password);
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    const master = ['-H', `authorization: Bearer ${login.body.accessToken as string}`];
    const person = newUser();
    const created = await curl([
      '-X',
      'POST',
      `${base}/api/admin/users`,
      ...master,
      ...json,
      '-d',
      JSON.stringify({ ...person, role: 'user' }),
    ]);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const userId = created.body.user.id as string;

    // Query parameters take their schema's types: ?pageSize=1 is a number, not a 400.
    const page = await curl([`${base}/api/admin/users?pageSize=1&query=${person.username}`, ...master]);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    expect(page.body.users).toHaveLength(1);
    expect(page.body.users[0]).toMatchObject({ id: userId, allowed: { update: true, delete: true } });
    const bad = await curl([`${base}/api/admin/users?pageSize=many`, ...master]);
    expect(bad.status).toBe(400);
    expect(bad.body.error.reason).toBe('INVALID_INPUT');

    const updated = await curl([
      '-X',
      'PATCH',
      `${base}/api/admin/users/${userId}`,
      ...master,
      ...json,
      '-d',
      JSON.stringify({ fullName: 'Renamed By Curl' }),
    ]);
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.user.fullName).toBe('Renamed By Curl');
    const promoted = await curl([
      '-X',
      'PUT',
      `${base}/api/admin/users/${userId}/role`,
      ...master,
      ...json,
      '-d',
      JSON.stringify({ role: 'admin' }),
    ]);
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(200);
    expect(promoted.body.user.role).toBe('admin');
    const unlocked = await curl(['-X', 'POST', `${base}/api/admin/users/${userId}/unlock`, ...master]);
    expect(unlocked.status, JSON.stringify(unlocked.body)).toBe(200);

    // The user signs in; the admin sees the session and the attempt.
    const theirs = await passwordLogin(person.username, person.password);
    expect(theirs.status).toBe(200);
    const detail = await curl([`${base}/api/admin/users/${userId}`, ...master]);
    expect(detail.status, JSON.stringify(detail.body)).toBe(200);
    expect(detail.body.user).toMatchObject({ id: userId, role: 'admin' });
    const sessions = detail.body.sessions as { sessionId?: string; id?: string }[];
    expect(sessions.length).toBeGreaterThanOrEqual(1);
    const attempts = await curl([`${base}/api/admin/login-attempts?limit=5&userId=${userId}`, ...master]);
    expect(attempts.status, JSON.stringify(attempts.body)).toBe(200);
    const pending = await curl([`${base}/api/admin/verification/pending?pageSize=5`, ...master]);
    expect(pending.status, JSON.stringify(pending.body)).toBe(200);

    // A user is refused the admin operations.
    const plain = await signUp();
    expect((await curl([`${base}/api/admin/users`, ...plain.bearer])).status).toBe(403);

    const deleted = await curl(['-X', 'DELETE', `${base}/api/admin/users/${userId}`, ...master]);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect((await curl([`${base}/api/admin/users/${userId}`, ...master])).status).toBe(404);
  });

  it('submits a verification document as multipart and shows the status', async () => {
    const { bearer } = await signUp();
    const submitted = await curl([
      '-X',
      'POST',
      `${base}/api/verification/documents`,
      ...bearer,
      '-F',
      'type=id_card',
      '-F',
      `document=@${(await facePhoto('alice')).file}`,
    ]);
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    expect(submitted.body.document).toMatchObject({ type: 'id_card', status: 'pending' });
    const status = await curl([`${base}/api/verification/status`, ...bearer]);
    expect(status.status).toBe(200);
    expect(status.body.status.counts.pending).toBe(1);
  });

  it('describes itself in OpenAPI 3 and serves the docs page', async () => {
    const doc = await curl([`${base}/api/openapi.json`]);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    const register = doc.body.paths['/api/user/face/register'].post;
    expect(Object.keys(register.requestBody.content)).toEqual(['application/json', 'multipart/form-data']);
    expect(register.requestBody.content['multipart/form-data'].schema.properties.image.items.format).toBe(
      'binary',
    );
    expect(doc.body.paths['/api/auth/login'].post.security).toEqual([]);
    expect(doc.body.paths['/api/user/profile'].get.security).toEqual([{ bearer: [] }]);
    const operations = Object.values(
      doc.body.paths as Record<string, Record<string, { operationId: string }>>,
    ).flatMap((ops) => Object.values(ops));
    expect(new Set(operations.map((op) => op.operationId)).size).toBe(operations.length);
    expect(JSON.stringify(doc.body)).not.toContain('"nullable"');
    const page = await fetch(`${base}/api/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/api/docs/swagger-ui-bundle.js');
    for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css', 'init.js'])
      expect((await fetch(`${base}/api/docs/${asset}`)).status, asset).toBe(200);
  });

  it('answers unknown routes and bad input in the error format', async () => {
    const missing = await curl([`${base}/api/nothing-here`]);
    expect(missing.status).toBe(404);
    expect(missing.body.error.reason).toBe('NOT_FOUND');
    const bad = await curl([
      '-X',
      'POST',
      `${base}/api/auth/login`,
      '-H',
      'content-type: application/json',
      '-d',
      '{"password":"x"}',
    ]);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      reason: 'INVALID_INPUT',
      issues: [expect.objectContaining({ path: 'identifier' })],
    });
    // A sentence naming the field, not the validator's JSON.
    expect(bad.body.error.message).toMatch(/^Invalid input: identifier: /);
    expect(bad.body.error.message).not.toMatch(/[[{]|"code"/);
    // The same over tRPC.
    const trpc = await curl([
      '-X',
      'POST',
      `${base}/trpc/auth.login`,
      '-H',
      'content-type: application/json',
      '-d',
      '{"password":"x"}',
    ]);
    expect(trpc.status).toBe(400);
    expect(JSON.stringify(trpc.body)).not.toMatch(/\\"code\\"|"expected"/);
    expect(trpc.body.error.message).toMatch(/^Invalid input: identifier: /);
  });
});
