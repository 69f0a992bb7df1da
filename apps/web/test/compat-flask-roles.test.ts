/**
 * Origin 003 (the Flask user API with user/admin/master roles, pt-BR) replayed against its
 * compatibility profile: the document's curl sequence with real curl and a cookie jar (only the base
 * URL changed), every documented call and error case, and what Guardian answers where it differs
 * (see apps/web/src/compat/flask-roles/README.md).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '@guardian/domain';
import { curl } from './client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flaskRolesProfile as profile } from '../src/compat/flask-roles/profile.js';
import { CompatError, refusalOf } from '../src/compat/kit.js';
import { MASTER, startMesh, type Mesh } from './harness.js';

/** A JSON body as tests read it (shapes are asserted, not typed). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

/** A cookie's value in curl's jar (Netscape format; HttpOnly cookies carry a `#HttpOnly_` prefix). */
async function jarCookie(jar: string, name: string): Promise<string | undefined> {
  for (const line of (await readFile(jar, 'utf8').catch(() => '')).split('\n')) {
    const fields = line.replace(/^#HttpOnly_/, '').split('\t');
    if (!line.startsWith('#') || line.startsWith('#HttpOnly_'))
      if (fields.length === 7 && fields[5] === name) return fields[6];
  }
  return undefined;
}

/** The origin's error envelope, with Guardian's reason beside the message. */
const refusal = (message: string | RegExp, reason: string) => ({
  message: typeof message === 'string' ? message : expect.stringMatching(message),
  reason,
});

/** The document's "senha123" is on Guardian's common-password list; a strong one takes its place. */
let counter = 0;
const strongPassword = () => `Senha forte ${Date.now().toString(36)}${counter++}!`;

describe('flask-roles profile: error mapping', () => {
  const answer = (error: unknown) => profile.error(refusalOf(error));

  it("answers with the document's statuses where Guardian's differ, in Portuguese, with the reason", () => {
    const wrong = answer(new DomainError('unauthenticated', 'INVALID_CREDENTIALS', 'wrong password'));
    expect(wrong).toEqual({ status: 403, body: refusal('Credenciais inválidas', 'INVALID_CREDENTIALS') });
    const taken = answer(new DomainError('conflict', 'USERNAME_TAKEN', 'taken'));
    expect(taken).toEqual({ status: 400, body: refusal('Username já existe', 'USERNAME_TAKEN') });
    const self = answer(new DomainError('forbidden', 'CANNOT_DELETE_SELF', 'not yourself'));
    expect(self).toEqual({
      status: 400,
      body: refusal('Você não pode deletar a própria conta', 'CANNOT_DELETE_SELF'),
    });
  });

  it('explains the CSRF refusal of a cookie write, and keeps the statuses the origin never had', () => {
    const csrf = answer(new CompatError(403, 'CSRF_TOKEN_INVALID', 'csrf'));
    expect(csrf.status).toBe(403);
    expect(csrf.body).toEqual(refusal(/X-CSRF-Token.*Authorization: Bearer/, 'CSRF_TOKEN_INVALID'));
    const locked = answer(new DomainError('rate_limited', 'ACCOUNT_LOCKED', 'locked'));
    expect(locked).toEqual({ status: 429, body: refusal(/^Conta bloqueada/, 'ACCOUNT_LOCKED') });
  });

  it('never shows an internal error text', () => {
    const internal = answer(new Error('mongo exploded at 10.0.0.7'));
    expect(internal.status).toBe(500);
    expect(internal.body).toEqual(refusal(/^Erro interno do servidor/, 'INTERNAL'));
  });
});

describe('flask-roles profile (origin 003) against the mesh', () => {
  let mesh: Mesh;
  let base: string;
  let dir: string;

  beforeAll(async () => {
    mesh = await startMesh({ withBiometrics: false, web: { WEB_AUTH_RATE_LIMIT: '1000' } });
    base = `${mesh.baseUrl}/compat/flask-roles`;
    dir = await mkdtemp(join(tmpdir(), 'flask-roles-'));
  }, 200_000);

  afterAll(async () => {
    await mesh?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A call as a script would make it: JSON body, optional Bearer token or Cookie header. */
  async function call(
    method: string,
    path: string,
    options: { json?: unknown; token?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: Body; headers: Headers }> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  /** POST /login; the access token of the answer. */
  async function login(username: string, password: string): Promise<string> {
    const answer = await call('POST', '/login', { json: { username, password } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.access_token as string;
  }

  /** An account created by the master through /create_user, signed in. */
  async function account(master: string, role: 'user' | 'admin') {
    const username = `${role}_${Date.now().toString(36)}${counter++}`;
    const password = strongPassword();
    const created = await call('POST', '/create_user', { token: master, json: { username, password, role } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { id: created.body.id as number, username, password, token: await login(username, password) };
  }

  it("replays the document's curl sequence with a cookie jar (writes by cookie add the CSRF header)", async () => {
    const jar = join(dir, 'cookies.txt');
    const json = ['-H', 'Content-Type: application/json'];

    // 1. Fazer Login, as written: admin/admin never exists in Guardian.
    const adminAdmin = await curl([
      '-X',
      'POST',
      `${base}/login`,
      ...json,
      '-d',
      '{"username": "admin", "password": "admin"}',
      '-c',
      jar,
    ]);
    expect(adminAdmin).toEqual({
      status: 403,
      body: refusal('Credenciais inválidas', 'INVALID_CREDENTIALS'),
    });
    // ... with the deployment's master (same shape).
    const master = JSON.stringify({ username: MASTER.username, password: MASTER.password });
    const login = await curl(['-X', 'POST', `${base}/login`, ...json, '-d', master, '-c', jar]);
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({
      message: 'Login realizado com sucesso',
      id: 1,
      username: MASTER.username,
      role: 'master',
      token_type: 'Bearer',
    });
    expect(login.body.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const jarText = await readFile(jar, 'utf8');
    expect(jarText).toMatch(
      /^#HttpOnly_127\.0\.0\.1\tFALSE\t\/compat\/flask-roles\tFALSE\t\d+\tflask_roles_session\t/m,
    );
    const csrf = await jarCookie(jar, 'flask_roles_session_csrf');
    expect(csrf).toBe(login.body.csrf_token);
    // Flask-Login's "already logged in", by cookie.
    const again = await curl(['-X', 'POST', `${base}/login`, ...json, '-d', master, '-b', jar]);
    expect(again).toEqual({ status: 200, body: { message: 'Usuário já está logado' } });

    // 2. Listar Usuários (com cookies).
    const list = await curl(['-X', 'GET', `${base}/users/all`, '-b', jar]);
    expect(list.status).toBe(200);
    expect(list.body).toEqual([{ id: 1, username: MASTER.username, role: 'master' }]);

    // 3. Criar Novo Usuário, as written: a write by cookie alone is refused (CSRF)...
    const body = '{"username": "novo_usuario", "password": "senha123", "role": "user"}';
    const create = ['-X', 'POST', `${base}/create_user`, ...json, '-d', body, '-b', jar];
    const byCookie = await curl(create);
    expect(byCookie).toEqual({ status: 403, body: refusal(/X-CSRF-Token/, 'CSRF_TOKEN_INVALID') });
    // ... with the CSRF header from the jar it reaches Guardian, whose password policy refuses "senha123"
    const withCsrf = ['-H', `X-CSRF-Token: ${csrf}`];
    const weak = await curl([...create, ...withCsrf]);
    expect(weak).toEqual({ status: 400, body: refusal(/^Senha fraca/, 'WEAK_PASSWORD') });
    // ... and a strong password creates the document's user, id 2.
    const strong = JSON.stringify({ username: 'novo_usuario', password: strongPassword(), role: 'user' });
    const created = await curl([
      '-X',
      'POST',
      `${base}/create_user`,
      ...json,
      '-d',
      strong,
      '-b',
      jar,
      ...withCsrf,
    ]);
    expect(created).toEqual({
      status: 201,
      body: { message: 'Usuário criado com sucesso', id: 2, username: 'novo_usuario', role: 'user' },
    });

    // 4. Atualizar Usuário (alterar role - apenas master): refused by cookie alone, done with the header.
    const update = ['-X', 'PUT', `${base}/update_user/2`, ...json, '-d', '{"role": "admin"}', '-b', jar];
    expect((await curl(update)).body).toEqual(refusal(/X-CSRF-Token/, 'CSRF_TOKEN_INVALID'));
    const updated = await curl([...update, ...withCsrf]);
    expect(updated).toEqual({
      status: 200,
      body: {
        message: "Usuário 'id 2' atualizado com sucesso",
        id: 2,
        username: 'novo_usuario',
        role: 'admin',
      },
    });

    // 5. Fazer Logout: the session ends and the cookie goes.
    const logout = await curl(['-X', 'GET', `${base}/logout`, '-b', jar, '-c', jar]);
    expect(logout).toEqual({ status: 200, body: { message: 'Logout realizado com sucesso' } });
    expect(await jarCookie(jar, 'flask_roles_session')).toBeUndefined();
    const after = await curl(['-X', 'GET', `${base}/users/all`, '-b', jar]);
    expect(after).toEqual({ status: 401, body: refusal('Usuário não autenticado', 'UNAUTHORIZED') });
  });

  it('keeps the session cookie HttpOnly, SameSite=Strict and on the profile path; a Bearer token needs no CSRF header', async () => {
    const answer = await call('POST', '/login', {
      json: { username: MASTER.username, password: MASTER.password },
    });
    const cookies = answer.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('flask_roles_session='));
    expect(session).toMatch(/Path=\/compat\/flask-roles/);
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(cookies.find((c) => c.startsWith('flask_roles_session_csrf='))).not.toMatch(/HttpOnly/);
    const cookie = `flask_roles_session=${session!.split(';')[0]!.split('=')[1]}`;
    // A cookie write with a wrong CSRF token is refused; DELETE too.
    const wrong = await call('DELETE', '/delete_user/2', {
      headers: { cookie, 'x-csrf-token': 'not-the-token' },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.reason).toBe('CSRF_TOKEN_INVALID');
    // A write from another site is refused before the profile (Guardian's edge, its envelope).
    const crossSite = await call('PUT', '/update_user/2', {
      json: { role: 'user' },
      headers: { cookie, origin: 'https://evil.example', 'x-csrf-token': answer.body.csrf_token },
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error.reason).toBe('CROSS_SITE_REQUEST');
    // The token in Authorization: Bearer needs no cookie and no CSRF header (Guardian's API clients).
    const bearer = await call('GET', '/users/2', { token: answer.body.access_token });
    expect(bearer).toMatchObject({ status: 200, body: { id: 2, username: 'novo_usuario' } });
  });

  it('POST /login and GET /logout: the documented answers and error cases', async () => {
    expect(await call('POST', '/login', { json: { username: MASTER.username } })).toMatchObject({
      status: 403,
      body: refusal(/^Credenciais inválidas/, 'MISSING_CREDENTIALS'),
    });
    expect(
      await call('POST', '/login', { json: { username: MASTER.username, password: 'wrong one' } }),
    ).toMatchObject({
      status: 403,
      body: refusal('Credenciais inválidas', 'INVALID_CREDENTIALS'),
    });
    const token = await login(MASTER.username, MASTER.password);
    expect(await call('POST', '/login', { token, json: { username: 'x', password: 'y' } })).toMatchObject({
      status: 200,
      body: { message: 'Usuário já está logado' },
    });
    expect(await call('GET', '/logout', { token })).toMatchObject({
      status: 200,
      body: { message: 'Logout realizado com sucesso' },
    });
    // The session is over for every service: the token no longer works, and /logout needs one.
    expect(await call('GET', '/users/all', { token })).toMatchObject({ status: 401 });
    expect(await call('GET', '/logout')).toMatchObject({
      status: 401,
      body: refusal('Usuário não autenticado', 'UNAUTHORIZED'),
    });
  });

  it('GET /users/<int:user_id> and GET /users/all under the role rules', async () => {
    const master = await login(MASTER.username, MASTER.password);
    const user = await account(master, 'user');
    expect(await call('GET', `/users/${user.id}`, { token: master })).toMatchObject({
      status: 200,
      body: { id: user.id, username: user.username },
    });
    // A user sees their own profile, nobody else's, and not the list.
    expect(await call('GET', `/users/${user.id}`, { token: user.token })).toMatchObject({
      status: 200,
      body: { id: user.id, username: user.username },
    });
    expect(await call('GET', '/users/1', { token: user.token })).toMatchObject({
      status: 403,
      body: refusal('Sem permissão para ver este usuário', 'FORBIDDEN'),
    });
    expect(await call('GET', '/users/all', { token: user.token })).toMatchObject({
      status: 403,
      body: refusal('Usuário sem permissão de admin', 'FORBIDDEN'),
    });
    const all = await call('GET', '/users/all', { token: master });
    expect(all.status).toBe(200);
    expect(all.body).toContainEqual({ id: user.id, username: user.username, role: 'user' });
    expect(all.body.every((u: Body) => Number.isInteger(u.id))).toBe(true);
    // Not found, not an integer, not signed in.
    expect(await call('GET', '/users/999999', { token: master })).toMatchObject({
      status: 404,
      body: refusal('Usuário não encontrado', 'USER_NOT_FOUND'),
    });
    expect(await call('GET', '/users/abc', { token: master })).toMatchObject({ status: 404 });
    expect(await call('GET', `/users/${user.id}`)).toMatchObject({
      status: 401,
      body: refusal('Usuário não autenticado', 'UNAUTHORIZED'),
    });
    expect(await call('GET', '/users/all')).toMatchObject({ status: 401 });
  });

  it('POST /create_user: admins create users only, masters any role; the documented refusals', async () => {
    const master = await login(MASTER.username, MASTER.password);
    const admin = await account(master, 'admin');
    const user = await account(master, 'user');
    const fresh = () => ({
      username: `criado_${Date.now().toString(36)}${counter++}`,
      password: strongPassword(),
    });

    // Role padrão é 'user'.
    const plain = await call('POST', '/create_user', { token: admin.token, json: fresh() });
    expect(plain).toMatchObject({
      status: 201,
      body: { message: 'Usuário criado com sucesso', role: 'user' },
    });
    expect(Number.isInteger(plain.body.id)).toBe(true);
    // Only masters give other roles (the origin ignored an admin's role; Guardian refuses it).
    expect(
      await call('POST', '/create_user', { token: admin.token, json: { ...fresh(), role: 'admin' } }),
    ).toMatchObject({
      status: 403,
      body: refusal(/^Usuário sem permissão de admin/, 'FORBIDDEN'),
    });
    expect(
      await call('POST', '/create_user', { token: master, json: { ...fresh(), role: 'master' } }),
    ).toMatchObject({
      status: 201,
      body: { role: 'master' },
    });
    // Username já existe ou dados inválidos.
    expect(
      await call('POST', '/create_user', {
        token: master,
        json: { username: 'novo_usuario', password: strongPassword() },
      }),
    ).toMatchObject({
      status: 400,
      body: refusal('Username já existe', 'USERNAME_TAKEN'),
    });
    expect(
      await call('POST', '/create_user', { token: master, json: { username: fresh().username } }),
    ).toMatchObject({
      status: 400,
      body: refusal(/^Dados inválidos/, 'INVALID_INPUT'),
    });
    // Sem permissão de admin; não autenticado (checked before the data, as in the origin).
    expect(await call('POST', '/create_user', { token: user.token, json: {} })).toMatchObject({
      status: 403,
      body: refusal(/^Usuário sem permissão de admin/, 'FORBIDDEN'),
    });
    expect(await call('POST', '/create_user', { json: fresh() })).toMatchObject({ status: 401 });
  });

  it('PUT /update_user/<int:user_id>: own profile, roles by masters only, the documented refusals', async () => {
    const master = await login(MASTER.username, MASTER.password);
    const admin = await account(master, 'admin');
    const user = await account(master, 'user');
    const other = await account(master, 'user');

    // Regra especial: nobody changes their own username.
    expect(
      await call('PUT', '/update_user/1', { token: master, json: { username: 'outro_nome' } }),
    ).toMatchObject({
      status: 400,
      body: refusal('Você não pode alterar o próprio username', 'CANNOT_CHANGE_OWN_USERNAME'),
    });
    // Apenas masters alteram roles; users only their own profile.
    expect(
      await call('PUT', `/update_user/${user.id}`, { token: admin.token, json: { role: 'admin' } }),
    ).toMatchObject({
      status: 403,
      body: refusal(/^Sem permissão para alterar usuário\/role/, 'FORBIDDEN'),
    });
    expect(
      await call('PUT', `/update_user/${other.id}`, { token: user.token, json: { username: 'tomado' } }),
    ).toMatchObject({
      status: 403,
      body: refusal(/^Sem permissão para alterar usuário\/role/, 'FORBIDDEN'),
    });
    expect(
      await call('PUT', `/update_user/${user.id}`, { token: user.token, json: { role: 'master' } }),
    ).toMatchObject({
      status: 403,
      body: { reason: 'FORBIDDEN' },
    });
    // An admin renames a user; the number stays.
    const renamed = `${user.username}_r`;
    expect(
      await call('PUT', `/update_user/${user.id}`, { token: admin.token, json: { username: renamed } }),
    ).toMatchObject({
      status: 200,
      body: { message: `Usuário 'id ${user.id}' atualizado com sucesso`, id: user.id, username: renamed },
    });
    // Your own password, with the current one (Guardian's rule); never someone else's.
    const password = strongPassword();
    expect(
      await call('PUT', `/update_user/${user.id}`, { token: user.token, json: { password } }),
    ).toMatchObject({
      status: 400,
      body: refusal(/current_password/, 'CURRENT_PASSWORD_REQUIRED'),
    });
    expect(
      await call('PUT', `/update_user/${user.id}`, {
        token: user.token,
        json: { password, current_password: 'not my password' },
      }),
    ).toMatchObject({ status: 400, body: { reason: 'INVALID_CURRENT_PASSWORD' } });
    expect(
      await call('PUT', `/update_user/${user.id}`, {
        token: user.token,
        json: { username: renamed, password, current_password: user.password },
      }),
    ).toMatchObject({ status: 200, body: { message: `Usuário 'id ${user.id}' atualizado com sucesso` } });
    expect(typeof (await login(renamed, password))).toBe('string');
    expect(
      await call('PUT', `/update_user/${other.id}`, { token: master, json: { password } }),
    ).toMatchObject({
      status: 403,
      body: refusal(/^O Guardian não define a senha de outro usuário/, 'PASSWORD_RESET_NOT_SUPPORTED'),
    });
    // Pelo menos um campo; usuário inexistente; não autenticado.
    expect(await call('PUT', `/update_user/${other.id}`, { token: master, json: {} })).toMatchObject({
      status: 400,
      body: refusal(/^Informe ao menos um campo/, 'NO_FIELDS'),
    });
    expect(
      await call('PUT', '/update_user/999999', { token: master, json: { role: 'admin' } }),
    ).toMatchObject({
      status: 404,
      body: refusal('Usuário não encontrado', 'USER_NOT_FOUND'),
    });
    expect(await call('PUT', `/update_user/${other.id}`, { json: { role: 'admin' } })).toMatchObject({
      status: 401,
    });
  });

  it('DELETE /delete_user/<int:user_id>: admins delete users, masters anyone, nobody themselves', async () => {
    const master = await login(MASTER.username, MASTER.password);
    const admin = await account(master, 'admin');
    const otherAdmin = await account(master, 'admin');
    const user = await account(master, 'user');
    const victim = await account(master, 'user');

    expect(await call('DELETE', `/delete_user/${admin.id}`, { token: admin.token })).toMatchObject({
      status: 400,
      body: refusal('Você não pode deletar a própria conta', 'CANNOT_DELETE_SELF'),
    });
    expect(await call('DELETE', `/delete_user/${otherAdmin.id}`, { token: admin.token })).toMatchObject({
      status: 403,
      body: refusal(/^Sem permissão para deletar usuário/, 'FORBIDDEN'),
    });
    expect(await call('DELETE', `/delete_user/${victim.id}`, { token: user.token })).toMatchObject({
      status: 403,
      body: { reason: 'FORBIDDEN' },
    });
    expect(await call('DELETE', `/delete_user/${victim.id}`)).toMatchObject({ status: 401 });
    expect(await call('DELETE', `/delete_user/${victim.id}`, { token: admin.token })).toMatchObject({
      status: 200,
      body: { message: `Usuário 'id ${victim.id}' deletado com sucesso` },
    });
    expect(await call('DELETE', `/delete_user/${victim.id}`, { token: admin.token })).toMatchObject({
      status: 404,
      body: refusal('Usuário não encontrado', 'USER_NOT_FOUND'),
    });
    expect(await call('DELETE', `/delete_user/${otherAdmin.id}`, { token: master })).toMatchObject({
      status: 200,
    });
    // A deleted account's number is never given again.
    const next = await account(master, 'user');
    expect(next.id).toBeGreaterThan(victim.id);
  });
});
