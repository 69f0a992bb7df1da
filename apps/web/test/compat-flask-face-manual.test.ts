/**
 * Origin 000 (the Flask login/registration/face manual, pt-BR) replayed against its compatibility
 * profile: the manual's calls in its order with its own example bodies (only the base URL changed,
 * and names and e-mails made unique), each documented error case, and what Guardian answers where
 * it differs (see apps/web/src/compat/flask-face-manual/README.md).
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '@guardian/domain';
import { curl } from './client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flaskFaceManualProfile as profile } from '../src/compat/flask-face-manual/profile.js';
import { refusalOf } from '../src/compat/kit.js';
import { facePhoto, photoWithoutFace } from './faces.js';
import { MASTER, startMesh, type Mesh } from './harness.js';

/** A JSON body as tests read it (shapes are asserted, not typed). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

let counter = 0;
/** A suffix that keeps the manual's fixed names and e-mails unique across runs. */
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

/** The manual's "senha123" is on Guardian's common-password list; a strong one takes its place. */
const strongPassword = () => `Senha forte ${unique()}!`;

/** The origin's error envelope (ResponseView.error) with Guardian's reason code in `errors`. */
const refusal = (message: string | RegExp, reason: string) => ({
  success: false,
  message: typeof message === 'string' ? message : expect.stringMatching(message),
  errors: { reason },
});

/** The error mapping alone: Guardian's refusals in the origin's envelope, status and language. */
describe('flask-face-manual profile: error mapping', () => {
  const answer = (error: unknown) => profile.error(refusalOf(error));

  it('refuses a photo enrollment under the default liveness policy clearly, in Portuguese, with the reason', () => {
    const refused = answer(
      new DomainError(
        'invalid',
        'LIVENESS_REQUIRED',
        'face enrollment needs a liveness capture (StartLiveness)',
      ),
    );
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual(refusal(/prova de vida \(liveness\)/, 'LIVENESS_REQUIRED'));
  });

  it("answers 400 for what Guardian calls 422 or 415, with the origin's own sentences", () => {
    const noFace = answer(new DomainError('unprocessable', 'NO_FACE', 'no face found'));
    expect(noFace).toEqual({ status: 400, body: refusal('Nenhuma face detectada na imagem', 'NO_FACE') });
    const format = answer(new DomainError('unsupported', 'UNSUPPORTED_FORMAT', 'not an image'));
    expect(format).toEqual({
      status: 400,
      body: refusal('Tipo de arquivo não permitido', 'UNSUPPORTED_FORMAT'),
    });
    const several = answer(new DomainError('unprocessable', 'MULTIPLE_FACES', 'several faces'));
    expect(several.body).toEqual(refusal(/^Mais de uma face/, 'MULTIPLE_FACES'));
  });

  it("keeps Guardian's statuses the origin never had (403, 429) and falls back to ResponseView's defaults", () => {
    const locked = answer(new DomainError('rate_limited', 'ACCOUNT_LOCKED', 'locked'));
    expect(locked.status).toBe(429);
    expect(locked.body).toEqual(refusal(/^Conta bloqueada/, 'ACCOUNT_LOCKED'));
    const denied = answer(new DomainError('forbidden', 'PERMISSION_DENIED', 'admins only'));
    expect(denied).toEqual({ status: 403, body: refusal('Acesso negado', 'PERMISSION_DENIED') });
    const unknown = answer(new DomainError('not_found', 'SOMETHING_NEW', 'gone'));
    expect(unknown).toEqual({ status: 404, body: refusal('Recurso não encontrado', 'SOMETHING_NEW') });
  });

  it('never shows an internal error text', () => {
    const internal = answer(new Error('mongo exploded at 10.0.0.7'));
    expect(internal.status).toBe(500);
    expect(internal.body).toEqual(refusal('Erro interno do servidor', 'INTERNAL'));
  });
});

describe('flask-face-manual profile (origin 000) against the mesh', () => {
  let mesh: Mesh;
  let base: string;

  beforeAll(async () => {
    mesh = await startMesh({ web: { WEB_AUTH_RATE_LIMIT: '1000' } });
    base = `${mesh.baseUrl}/compat/flask-face-manual`;
  }, 200_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  /** A call as Postman would make it (section 8.5): JSON or form-data, optional Authorization header. */
  async function call(
    method: string,
    path: string,
    options: { json?: unknown; form?: FormData; authorization?: string } = {},
  ): Promise<{ status: number; body: Body }> {
    const headers: Record<string, string> = {};
    if (options.authorization) headers.authorization = options.authorization;
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: options.form ?? (options.json === undefined ? undefined : JSON.stringify(options.json)),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** form-data with one file field, as the manual's "Campo: image, Tipo: File". */
  const imageForm = (bytes: Buffer, field = 'image') => {
    const form = new FormData();
    form.append(field, new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'imagem.jpg');
    return form;
  };

  it('replays 8.5 "Documentação Completa dos Endpoints" in order, with its bodies and error answers', async () => {
    const n = unique();
    // 1. Cadastro de Usuário, the manual's body as written.
    const documented = {
      username: `joao_silva_${n}`,
      email: `joao.${n}@example.com`,
      password: 'senha123',
      full_name: 'João Silva',
    };
    const weak = await call('POST', '/api/auth/register', { json: documented });
    expect(weak.status).toBe(400);
    expect(weak.body).toEqual(refusal(/^Senha fraca/, 'WEAK_PASSWORD'));

    const body = { ...documented, password: strongPassword() };
    const registered = await call('POST', '/api/auth/register', { json: body });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body).toEqual({
      success: true,
      message: 'Usuário cadastrado com sucesso',
      data: {
        user: {
          id: expect.any(Number),
          username: body.username,
          email: body.email,
          full_name: 'João Silva',
        },
        token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      },
    });
    const user = registered.body.data.user;

    // Resposta de Erro (409), and the code's e-mail twin.
    const again = await call('POST', '/api/auth/register', { json: body });
    expect(again.status).toBe(409);
    expect(again.body).toEqual(refusal('Username já está em uso', 'USERNAME_TAKEN'));
    const sameEmail = await call('POST', '/api/auth/register', {
      json: { ...body, username: `joao_outro_${n}` },
    });
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body).toEqual(refusal('Email já está em uso', 'EMAIL_TAKEN'));

    // 2. Login.
    const login = await call('POST', '/api/auth/login', {
      json: { username: body.username, password: body.password },
    });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({
      success: true,
      message: 'Login realizado com sucesso',
      data: { user, token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) },
    });
    // Resposta de Erro (401): the manual's own password is now a wrong one.
    const wrong = await call('POST', '/api/auth/login', {
      json: { username: body.username, password: 'senha123' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(refusal('Credenciais inválidas', 'INVALID_CREDENTIALS'));

    // 3 Logout: with the token, then (Resposta de Erro 401) without one.
    const bearer = `Bearer ${login.body.data.token as string}`;
    const logout = await call('POST', '/api/auth/logout', { authorization: bearer });
    expect(logout.status).toBe(200);
    expect(logout.body).toEqual({ success: true, message: 'Logout realizado com sucesso', data: null });
    const anonymous = await call('POST', '/api/auth/logout');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual(refusal('Token de autenticação não fornecido', 'UNAUTHORIZED'));
    // Guardian ends the session: the token stops working (the origin's stayed valid for 7 days).
    const after = await call('GET', '/api/user/profile', { authorization: bearer });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ success: false, message: 'Token inválido ou expirado' });

    // 4. Cadastrar Face, signed in again.
    const relogin = await call('POST', '/api/auth/login', {
      json: { username: body.username, password: body.password },
    });
    const token = `Bearer ${relogin.body.data.token as string}`;
    const alice = await facePhoto('alice');
    const face = await call('POST', '/api/user/face/register', {
      authorization: token,
      form: imageForm(alice.bytes),
    });
    expect(face.status, JSON.stringify(face.body)).toBe(201);
    expect(face.body).toEqual({
      success: true,
      message: 'Face cadastrada com sucesso',
      data: { face_id: user.id, image_path: null },
    });
    // Resposta de Erro (400).
    const empty = await photoWithoutFace();
    const noFace = await call('POST', '/api/user/face/register', {
      authorization: token,
      form: imageForm(empty.bytes),
    });
    expect(noFace.status).toBe(400);
    expect(noFace.body).toEqual(refusal('Nenhuma face detectada na imagem', 'NO_FACE'));

    // 5. Reconhecer Face: never anonymous in Guardian, and only for callers allowed to identify.
    const stranger = await call('POST', '/api/user/face/recognize', { form: imageForm(alice.bytes) });
    expect(stranger.status).toBe(401);
    expect(stranger.body).toEqual(refusal('Token de autenticação não fornecido', 'UNAUTHORIZED'));
    const plainUser = await call('POST', '/api/user/face/recognize', {
      authorization: token,
      form: imageForm(alice.bytes),
    });
    expect(plainUser.status).toBe(403);
    expect(plainUser.body).toEqual(
      refusal('Apenas administradores podem reconhecer faces entre todos os usuários', 'PERMISSION_DENIED'),
    );
    const master = await call('POST', '/api/auth/login', {
      json: { username: MASTER.username, password: MASTER.password },
    });
    expect(master.status).toBe(200);
    const admin = `Bearer ${master.body.data.token as string}`;
    const recognized = await call('POST', '/api/user/face/recognize', {
      authorization: admin,
      form: imageForm(alice.bytes),
    });
    expect(recognized.status, JSON.stringify(recognized.body)).toBe(200);
    expect(recognized.body).toEqual({
      success: true,
      message: 'Face reconhecida com sucesso',
      data: {
        user_id: user.id,
        username: body.username,
        full_name: 'João Silva',
        confidence: expect.any(Number),
        face_id: user.id,
      },
    });
    expect(recognized.body.data.confidence).toBeGreaterThan(0.5);
    expect(recognized.body.data.confidence).toBeLessThanOrEqual(1);
    // Resposta de Erro (404): a face nobody registered (bruno's is registered only in section 9).
    const bruno = await facePhoto('bruno');
    const unknown = await call('POST', '/api/user/face/recognize', {
      authorization: admin,
      form: imageForm(bruno.bytes),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(refusal('Face não reconhecida', 'FACE_NOT_RECOGNIZED'));
    // recognize_face answered 404 for a photo without a face too.
    const faceless = await call('POST', '/api/user/face/recognize', {
      authorization: admin,
      form: imageForm(empty.bytes),
    });
    expect(faceless.status).toBe(404);
    expect(faceless.body).toEqual(refusal('Nenhuma face detectada na imagem', 'NO_FACE'));
  }, 180_000);

  it('replays section 9 "Testando os Endpoints" with real curl, typos included', async () => {
    const n = unique();
    const username = `joao_${n}`;
    const email = `joao.${n}@example.com`;
    const json = ['-H', 'Content-Type: application/json'];

    // 9.1 Cadastro. Windows (PowerShell): valid JSON, no full_name, the common password.
    const windows = await curl([
      '-X',
      'POST',
      `${base}/api/auth/register`,
      ...json,
      '-d',
      `{"username":"${username}","email":"${email}","password":"senha123"}`,
    ]);
    expect(windows.status).toBe(400);
    expect(windows.body).toEqual(refusal(/^Senha fraca/, 'WEAK_PASSWORD'));
    // macOS/Linux: the manual's quote typo leaves the JSON unclosed; no server can read it.
    const linux = await curl([
      '-X',
      'POST',
      `${base}/api/auth/register`,
      ...json,
      '-d',
      `{"username":"${username}","email":"${email}","password":"senha123}"`,
    ]);
    expect(linux.status).toBe(400);
    expect(linux.body.success).not.toBe(true);
    // The Windows body with a strong password: full_name was optional, the username stands in.
    const password = strongPassword();
    const registered = await curl([
      '-X',
      'POST',
      `${base}/api/auth/register`,
      ...json,
      '-d',
      JSON.stringify({ username, email, password }),
    ]);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body.data.user).toEqual({
      id: expect.any(Number),
      username,
      email,
      full_name: username,
    });

    // 9.2 Login: the same typo, then the body it meant.
    const typo = await curl([
      '-X',
      'POST',
      `${base}/api/auth/login`,
      ...json,
      '-d',
      `{"username":"${username}","password":"${password}}"`,
    ]);
    expect(typo.status).toBe(400);
    const login = await curl([
      '-X',
      'POST',
      `${base}/api/auth/login`,
      ...json,
      '-d',
      JSON.stringify({ username, password }),
    ]);
    expect(login.status).toBe(200);
    const token = login.body.data.token as string;
    const bearer = ['-H', `Authorization: Bearer ${token}`];

    // 9.3 Perfil (com token): no personal information saved yet, so only the four fields.
    const profile = await curl(['-X', 'GET', `${base}/api/user/profile`, ...bearer]);
    expect(profile.status).toBe(200);
    expect(profile.body).toEqual({
      success: true,
      message: 'Perfil recuperado com sucesso',
      data: registered.body.data.user,
    });
    // token_required also took the bare token (no "Bearer ").
    const bare = await curl([`${base}/api/user/profile`, '-H', `Authorization: ${token}`]);
    expect(bare.status).toBe(200);
    expect(bare.body.data.username).toBe(username);

    // 9.4 Salvar informações pessoais: the manual's body ("Dev}" never closes), then the one it meant.
    const broken = await curl([
      '-X',
      'POST',
      `${base}/api/user/info`,
      ...bearer,
      ...json,
      '-d',
      '{"phone":"(11) 99999-9999","address":"Rua Exemplo","bio":"Dev}"',
    ]);
    expect(broken.status).toBe(400);
    const info = await curl([
      '-X',
      'POST',
      `${base}/api/user/info`,
      ...bearer,
      ...json,
      '-d',
      '{"phone":"(11) 99999-9999","address":"Rua Exemplo","bio":"Dev"}',
    ]);
    expect(info.status).toBe(201);
    expect(info.body).toEqual({ success: true, message: 'Informações salvas com sucesso', data: null });
    const withInfo = await curl([`${base}/api/user/profile`, ...bearer]);
    expect(withInfo.body.data).toEqual({
      ...registered.body.data.user,
      phone: '(11) 99999-9999',
      address: 'Rua Exemplo',
      birth_date: null,
      bio: 'Dev',
    });
    // PUT answers 200 and, like save_user_info, replaces all four fields.
    const put = await curl([
      '-X',
      'PUT',
      `${base}/api/user/info`,
      ...bearer,
      ...json,
      '-d',
      '{"birth_date":"1990-01-31","bio":"Dev"}',
    ]);
    expect(put.status).toBe(200);
    expect(put.body.message).toBe('Informações salvas com sucesso');
    const replaced = await curl([`${base}/api/user/profile`, ...bearer]);
    expect(replaced.body.data).toMatchObject({
      phone: null,
      address: null,
      birth_date: '1990-01-31',
      bio: 'Dev',
    });

    // 9.5 Cadastrar face.
    const bruno = await facePhoto('bruno');
    const face = await curl([
      '-X',
      'POST',
      `${base}/api/user/face/register`,
      ...bearer,
      '-F',
      `image=@${bruno.file}`,
    ]);
    expect(face.status, JSON.stringify(face.body)).toBe(201);
    expect(face.body.data).toEqual({ face_id: registered.body.data.user.id, image_path: null });

    // 9.6 Reconhecer face, anonymous as in the manual: refused.
    const recognize = await curl([
      '-X',
      'POST',
      `${base}/api/user/face/recognize`,
      '-F',
      `image=@${bruno.file}`,
    ]);
    expect(recognize.status).toBe(401);
    expect(recognize.body).toEqual(refusal('Token de autenticação não fornecido', 'UNAUTHORIZED'));

    // 9.7 Logout.
    const logout = await curl(['-X', 'POST', `${base}/api/auth/logout`, ...bearer]);
    expect(logout.status).toBe(200);
    expect(logout.body).toEqual({ success: true, message: 'Logout realizado com sucesso', data: null });
  }, 180_000);

  it("answers the controllers' own validation errors (7.7, 7.8) in their words", async () => {
    const n = unique();
    // register: `if not data`, then the three required fields.
    const noData = await call('POST', '/api/auth/register', { json: {} });
    expect(noData.status).toBe(400);
    expect(noData.body).toEqual(refusal('Dados não fornecidos', 'DATA_REQUIRED'));
    const missing = await call('POST', '/api/auth/register', {
      json: { username: `joao_${n}`, email: `joao.${n}@example.com` },
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual(refusal('Username, email e senha são obrigatórios', 'FIELDS_REQUIRED'));
    // A field that is not text (the origin stored whatever came): refused.
    const notText = await call('POST', '/api/auth/register', {
      json: { username: 123, email: `joao.${n}@example.com`, password: strongPassword() },
    });
    expect(notText.status).toBe(400);
    expect(notText.body).toEqual(refusal('Dados inválidos', 'INVALID_INPUT'));
    // login: the same two checks.
    const loginNoData = await call('POST', '/api/auth/login', { json: {} });
    expect(loginNoData.body).toEqual(refusal('Dados não fornecidos', 'DATA_REQUIRED'));
    const loginMissing = await call('POST', '/api/auth/login', { json: { username: `joao_${n}` } });
    expect(loginMissing.status).toBe(400);
    expect(loginMissing.body).toEqual(refusal('Username e senha são obrigatórios', 'FIELDS_REQUIRED'));

    // token_required: no header, then a token that is not valid.
    const noToken = await call('GET', '/api/user/profile');
    expect(noToken.status).toBe(401);
    expect(noToken.body).toEqual(refusal('Token de autenticação não fornecido', 'UNAUTHORIZED'));
    const badToken = await call('GET', '/api/user/profile', { authorization: 'Bearer not.a.token' });
    expect(badToken.status).toBe(401);
    expect(badToken.body).toMatchObject({ success: false, message: 'Token inválido ou expirado' });
    // The token is checked before the body, as the decorator ran first.
    const infoAnonymous = await call('POST', '/api/user/info', { json: {} });
    expect(infoAnonymous.status).toBe(401);

    const body = {
      username: `joao_${n}`,
      email: `joao.${n}@example.com`,
      password: strongPassword(),
    };
    const registered = await call('POST', '/api/auth/register', { json: body });
    expect(registered.status).toBe(201);
    const token = `Bearer ${registered.body.data.token as string}`;

    const infoNoData = await call('POST', '/api/user/info', { authorization: token, json: {} });
    expect(infoNoData.status).toBe(400);
    expect(infoNoData.body).toEqual(refusal('Dados não fornecidos', 'DATA_REQUIRED'));
    const badDate = await call('PUT', '/api/user/info', {
      authorization: token,
      json: { birth_date: '31/01/1990' },
    });
    expect(badDate.status).toBe(400);
    expect(badDate.body.success).toBe(false);
    expect(badDate.body.message).toMatch(/Data de nascimento|Dados inválidos/);

    // face/register: no `image` file, an empty file, and a file that is not an image.
    const noImage = new FormData();
    noImage.append('descricao', 'sem imagem');
    const withoutImage = await call('POST', '/api/user/face/register', {
      authorization: token,
      form: noImage,
    });
    expect(withoutImage.status).toBe(400);
    expect(withoutImage.body).toEqual(refusal('Imagem não fornecida', 'IMAGE_REQUIRED'));
    const emptyFile = await call('POST', '/api/user/face/register', {
      authorization: token,
      form: imageForm(Buffer.alloc(0)),
    });
    expect(emptyFile.status).toBe(400);
    expect(emptyFile.body).toEqual(refusal('Nenhum arquivo selecionado', 'IMAGE_REQUIRED'));
    const text = join(tmpdir(), `compat-000-not-image-${n}.jpg`);
    await writeFile(text, 'isto não é uma foto, seja qual for o nome');
    const notImage = await curl([
      '-X',
      'POST',
      `${base}/api/user/face/register`,
      '-H',
      `Authorization: ${token}`,
      '-F',
      `image=@${text}`,
    ]);
    expect(notImage.status).toBe(400);
    expect(notImage.body).toEqual(refusal('Tipo de arquivo não permitido', 'UNSUPPORTED_FORMAT'));
    const faceAnonymous = await call('POST', '/api/user/face/register', { form: noImage });
    expect(faceAnonymous.status).toBe(401);
  }, 120_000);

  it('describes itself at its root (7.9) and in the OpenAPI document under its own tag', async () => {
    const index = await call('GET', '/');
    expect(index.status).toBe(200);
    expect(index.body).toEqual({
      message: 'API Flask - Login, Cadastro e Reconhecimento Facial',
      version: '1.0.0',
      endpoints: {
        auth: {
          register: 'POST /api/auth/register',
          login: 'POST /api/auth/login',
          logout: 'POST /api/auth/logout',
        },
        face: { register: 'POST /api/user/face/register', recognize: 'POST /api/user/face/recognize' },
      },
    });
    const openapi = (await (await fetch(`${mesh.baseUrl}/api/openapi.json`)).json()) as Body;
    expect(openapi.tags).toContainEqual(expect.objectContaining({ name: 'compat: flask-face-manual' }));
    for (const [method, path] of [
      ['post', '/api/auth/register'],
      ['post', '/api/auth/login'],
      ['post', '/api/auth/logout'],
      ['get', '/api/user/profile'],
      ['post', '/api/user/info'],
      ['put', '/api/user/info'],
      ['post', '/api/user/face/register'],
      ['post', '/api/user/face/recognize'],
    ] as const)
      expect(openapi.paths[`/compat/flask-face-manual${path}`]?.[method]?.tags).toEqual([
        'compat: flask-face-manual',
      ]);
  });
});
