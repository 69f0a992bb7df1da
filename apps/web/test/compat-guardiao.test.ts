/**
 * Origin 001 (../shared/origins/001-guardiao-biometrics-api.pt.txt) replayed against
 * /compat/guardiao: the document's calls in its order (§2.1 .. §2.8), with its bodies and only the
 * base URL changed, and each of its error rows.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translate } from '../src/compat/guardiao/messages.js';
import { guardiaoProfile } from '../src/compat/guardiao/profile.js';
import { facePhoto, photoWithoutFace } from './faces.js';
import { MASTER, newUser, startMesh, type Mesh } from './harness.js';

/** A JSON body as tests read it (shapes are asserted, not typed). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The envelope every answer of the module has. */
const ok = (message: string) => ({ success: true, message, timestamp: expect.stringMatching(ISO) });
const refused = (message: string, error: string, code: string) => ({
  success: false,
  message,
  error,
  code,
  timestamp: expect.stringMatching(ISO),
});

async function until<T>(read: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('compat guardiao: refusals the mesh does not provoke', () => {
  it('refuses a single photo where liveness is required, in Portuguese with the reason code', () => {
    const refusal = {
      status: 400,
      reason: 'LIVENESS_REQUIRED',
      message: 'Face sign-in needs a liveness capture: start one with StartLiveness and follow its moves.',
    };
    for (const operation of ['cadastrar', 'autenticar', undefined] as const)
      expect(translate(refusal, operation)).toEqual({
        status: 400,
        reason: 'LIVENESS_REQUIRED',
        message: expect.stringMatching(/^Prova de vida obrigatória: .*foto única.*\/api\/auth\/liveness/),
      });
    expect(guardiaoProfile.error(refusal)).toEqual({
      status: 400,
      body: refused(translate(refusal).message, 'Validation Error', 'LIVENESS_REQUIRED'),
    });
  });

  it("keeps the document's 500 rows for a busy face service and an outdated template", () => {
    expect(
      translate(
        { status: 429, reason: 'INFERENCE_QUEUE_FULL', message: 'inference queue is full' },
        'cadastrar',
      ),
    ).toMatchObject({
      status: 500,
      message:
        'Muitas requisições simultâneas: Limite da API Face++ excedido. Tente novamente em alguns segundos.',
    });
    expect(
      translate({ status: 422, reason: 'REENROLLMENT_REQUIRED', message: 'older model' }, 'autenticar'),
    ).toMatchObject({
      status: 500,
      message:
        'Token de face inválido ou expirado: A biometria cadastrada pode estar corrompida. Cadastre novamente.',
    });
    // A service that is down keeps Guardian's status, in Portuguese, never its internals.
    expect(
      guardiaoProfile.error({ status: 503, reason: 'UNAVAILABLE', message: 'A service is not reachable' }),
    ).toMatchObject({
      status: 503,
      body: { success: false, error: 'Service Unavailable', code: 'UNAVAILABLE' },
    });
  });
});

describe('compat guardiao: the Guardião biometrics API (001) replayed', () => {
  let mesh: Mesh;
  let api: string;
  let maria: { id: string; token: string; email: string };
  let joao: { id: string; token: string };
  let master: string;
  let alice: string;
  let bruno: string;

  /** A request as the module's clients make it: JSON and `Authorization: Bearer`. */
  async function send(method: string, url: string, token?: string, body?: unknown) {
    const response = await fetch(url, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  }

  /** A call of the module, below its base URL. */
  const call = (method: string, path: string, token?: string, body?: unknown) =>
    send(method, `${api}${path}`, token, body);

  /** Guardian's own REST API, for what the document takes as given (accounts, documents). */
  const rest = (method: string, path: string, token?: string, body?: unknown) =>
    send(method, `${mesh.baseUrl}${path}`, token, body);

  async function signIn(identifier: string, password: string): Promise<string> {
    const login = await rest('POST', '/api/auth/login', undefined, { identifier, password });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    return login.body.accessToken as string;
  }

  async function account(fullName: string) {
    const user = { ...newUser(), fullName, locale: 'pt-BR' };
    const registered = await rest('POST', '/api/auth/register', undefined, user);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    return {
      id: registered.body.user.id as string,
      email: user.email,
      token: await signIn(user.username, user.password),
    };
  }

  beforeAll(async () => {
    mesh = await startMesh({ web: { WEB_AUTH_RATE_LIMIT: '1000' } });
    api = `${mesh.baseUrl}/compat/guardiao`;
    alice = (await facePhoto('alice')).bytes.toString('base64');
    bruno = (await facePhoto('bruno')).bytes.toString('base64');
    maria = await account('Maria Souza');
    joao = await account('João Lima');
    master = await signIn(MASTER.username, MASTER.password);
  }, 200_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  const biometria = (id: string) => `/api/verificacao/usuario/${id}/biometria`;

  it('§2.1 cadastra e atualiza a biometria facial por foto_base64, e responde a tabela de erros', async () => {
    const created = await call('POST', biometria(maria.id), maria.token, { foto_base64: alice });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      ...ok('Biometria facial cadastrada com sucesso'),
      data: {
        id: maria.id,
        face_token: expect.stringMatching(/^[0-9a-f]{32}$/),
        face_rectangle: {
          top: expect.any(Number),
          left: expect.any(Number),
          width: expect.any(Number),
          height: expect.any(Number),
        },
      },
    });
    expect(created.body.data.face_rectangle.width).toBeGreaterThan(48);

    // "ou atualiza uma existente": 200 OK, a new face_token.
    const updated = await call('POST', biometria(maria.id), maria.token, { foto_base64: alice });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body).toMatchObject({
      ...ok('Biometria facial cadastrada com sucesso'),
      data: { id: maria.id },
    });
    expect(updated.body.data.face_token).not.toBe(created.body.data.face_token);

    const missing = await call('POST', biometria(maria.id), maria.token, {});
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual(refused('foto_base64 não fornecida.', 'Validation Error', 'IMAGE_REQUIRED'));

    const other = await call('POST', biometria(joao.id), maria.token, { foto_base64: alice });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject(
      refused('Tentativa de cadastrar biometria para outro usuário.', 'Forbidden', expect.any(String)),
    );

    const nobody = await call('POST', biometria(`usuario-inexistente-${Date.now()}`), master, {
      foto_base64: bruno,
    });
    expect(nobody.status, JSON.stringify(nobody.body)).toBe(404);
    expect(nobody.body).toEqual(
      refused('Usuário com o id fornecido não encontrado.', 'Not Found', 'USER_NOT_FOUND'),
    );

    const noFace = (await photoWithoutFace()).bytes.toString('base64');
    const blank = await call('POST', biometria(maria.id), maria.token, { foto_base64: noFace });
    expect(blank.status).toBe(500);
    expect(blank.body).toEqual(
      refused(
        'Nenhuma face detectada na imagem: A imagem não contém um rosto claro.',
        'Internal Server Error',
        'NO_FACE',
      ),
    );

    const text = Buffer.from('isto não é uma foto').toString('base64');
    const format = await call('POST', biometria(maria.id), maria.token, { foto_base64: text });
    expect(format.status).toBe(500);
    expect(format.body).toEqual(
      refused(
        'Formato de imagem não suportado: Use JPG ou PNG.',
        'Internal Server Error',
        'UNSUPPORTED_FORMAT',
      ),
    );

    const tiny = await sharp({
      create: { width: 20, height: 20, channels: 3, background: { r: 90, g: 90, b: 90 } },
    })
      .png()
      .toBuffer();
    const size = await call('POST', biometria(maria.id), maria.token, {
      foto_base64: tiny.toString('base64'),
    });
    expect(size.status).toBe(500);
    expect(size.body).toEqual(
      refused(
        'Tamanho da imagem inválido: Use imagens entre 48x48 e 4096x4096 pixels.',
        'Internal Server Error',
        'IMAGE_TOO_SMALL',
      ),
    );

    // §1: every call needs the token.
    const anonymous = await call('POST', biometria(maria.id), undefined, { foto_base64: alice });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ success: false, error: 'Unauthorized', code: 'UNAUTHORIZED' });
  });

  it('§2.2 autentica pela face, e o usuário recebe um e-mail no sucesso e na falha', async () => {
    const autenticar = `${biometria(maria.id)}/autenticar`;
    type Mail = { template: string; subject: string; locale: string };
    const mails = async (): Promise<Mail[]> =>
      (await rest('GET', '/api/user/notifications', maria.token)).body.notifications as Mail[];
    // Maria's password sign-in is mailed too: count the alerts before the face sign-in.
    const before = await until(async () => {
      const list = (await mails()).filter((m) => m.template === 'login_succeeded');
      return list.length > 0 ? list.length : undefined;
    }, 'the alert of the password sign-in');

    const success = await call('POST', autenticar, maria.token, { foto_base64: alice });
    expect(success.status, JSON.stringify(success.body)).toBe(200);
    expect(success.body).toMatchObject({
      ...ok('Autenticação facial bem-sucedida'),
      data: { autenticado: true, confianca: expect.any(Number), usuario_id: maria.id },
    });
    expect(success.body.data.confianca).toBeGreaterThan(0);
    expect(success.body.data.confianca).toBeLessThanOrEqual(100);
    expect(success.body.data.token).toMatch(/^ey/);

    const failure = await call('POST', autenticar, maria.token, { foto_base64: bruno });
    expect(failure.status).toBe(401);
    expect(failure.body).toEqual(
      refused('Face não corresponde ao usuário cadastrado', 'Unauthorized', 'FACE_NOT_MATCHED'),
    );

    // "Login Bem-Sucedido" and "Tentativa de Login Falhou", in the user's language (pt-BR).
    const sent = await until(async () => {
      const list = await mails();
      const succeeded = list.filter((m) => m.template === 'login_succeeded');
      const failed = list.filter((m) => m.template === 'login_failed');
      return succeeded.length > before && failed.length > 0 ? { succeeded, failed } : undefined;
    }, 'the sign-in alerts');
    expect(sent.succeeded[0]).toMatchObject({ locale: 'pt-BR', subject: 'Novo acesso à sua conta Guardian' });
    expect(sent.failed[0]).toMatchObject({
      locale: 'pt-BR',
      subject: 'Tentativas de login malsucedidas na sua conta Guardian',
    });

    const missing = await call('POST', autenticar, maria.token, {});
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual(refused('foto_base64 não fornecida.', 'Validation Error', 'IMAGE_REQUIRED'));

    const notEnrolled = await call('POST', `${biometria(joao.id)}/autenticar`, joao.token, {
      foto_base64: bruno,
    });
    expect(notEnrolled.status).toBe(404);
    expect(notEnrolled.body).toEqual(
      refused('Biometria facial não cadastrada para este usuário.', 'Not Found', 'NOT_ENROLLED'),
    );

    const noFace = (await photoWithoutFace()).bytes.toString('base64');
    const blank = await call('POST', autenticar, maria.token, { foto_base64: noFace });
    expect(blank.status).toBe(500);
    expect(blank.body).toEqual(
      refused(
        'Nenhuma face detectada na imagem: A imagem enviada para autenticação não contém um rosto claro.',
        'Internal Server Error',
        'NO_FACE',
      ),
    );

    const anonymous = await call('POST', autenticar, undefined, { foto_base64: alice });
    expect(anonymous.status).toBe(401);
  });

  it('§2.3 diz se o usuário tem biometria facial cadastrada', async () => {
    const enrolled = await call('GET', biometria(maria.id), maria.token);
    expect(enrolled.status).toBe(200);
    expect(enrolled.body).toMatchObject({
      ...ok('Operação realizada com sucesso'),
      data: {
        tem_biometria_facial: true,
        data_cadastro: expect.stringMatching(ISO),
        data_atualizacao: expect.stringMatching(ISO),
      },
    });
    const none = await call('GET', biometria(joao.id), joao.token);
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({
      ...ok('Operação realizada com sucesso'),
      data: { tem_biometria_facial: false, data_cadastro: null, data_atualizacao: null },
    });
  });

  it('§2.4 remove a biometria facial, só a própria', async () => {
    const other = await call('DELETE', biometria(maria.id), joao.token);
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject(
      refused('Tentativa de remover biometria de outro usuário.', 'Forbidden', expect.any(String)),
    );
    const removed = await call('DELETE', biometria(maria.id), maria.token);
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ ...ok('Biometria facial removida com sucesso'), data: null });
    // §2.3 after §2.4: the face is gone.
    const after = await call('GET', biometria(maria.id), maria.token);
    expect(after.body.data).toEqual({
      tem_biometria_facial: false,
      data_cadastro: null,
      data_atualizacao: null,
    });
    const again = await call('DELETE', biometria(maria.id), maria.token);
    expect(again.status).toBe(404);
    expect(again.body).toEqual(
      refused('Biometria não encontrada para este usuário.', 'Not Found', 'NOT_ENROLLED'),
    );
  });

  it('§2.5 compara duas fotos, com os limiares 1e-3, 1e-4 e 1e-5', async () => {
    const same = await call('POST', '/api/verificacao/comparar-fotos', maria.token, {
      foto_base64_1: alice,
      foto_base64_2: alice,
    });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    const face = {
      face_token: expect.stringMatching(/^[0-9a-f]{32}$/),
      face_rectangle: {
        top: expect.any(Number),
        left: expect.any(Number),
        width: expect.any(Number),
        height: expect.any(Number),
      },
    };
    expect(same.body).toMatchObject({
      ...ok('As faces correspondem à mesma pessoa'),
      data: {
        mesma_pessoa: true,
        confianca: expect.any(Number),
        thresholds: { '1e-3': expect.any(Number), '1e-4': expect.any(Number), '1e-5': expect.any(Number) },
        face1: face,
        face2: face,
      },
    });
    const { thresholds } = same.body.data;
    // A lower false-match rate needs a higher confidence.
    expect(thresholds['1e-3']).toBeLessThan(thresholds['1e-4']);
    expect(thresholds['1e-4']).toBeLessThan(thresholds['1e-5']);
    expect(same.body.data.confianca).toBeGreaterThanOrEqual(thresholds['1e-3']);

    const different = await call('POST', '/api/verificacao/comparar-fotos', maria.token, {
      foto_base64_1: alice,
      foto_base64_2: bruno,
    });
    expect(different.status).toBe(200);
    expect(different.body).toMatchObject({
      ...ok('As faces não correspondem à mesma pessoa'),
      data: { mesma_pessoa: false, confianca: expect.any(Number) },
    });
    expect(different.body.data.face1.face_token).not.toBe(different.body.data.face2.face_token);

    const missing = await call('POST', '/api/verificacao/comparar-fotos', maria.token, {
      foto_base64_1: alice,
    });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('IMAGE_REQUIRED');
  });

  it('§2.6 dá o status de verificação: usuário, documentos, biometria e se pode usar o sistema', async () => {
    const document = await rest('POST', '/api/verification/documents', maria.token, {
      type: 'id_card',
      content: alice,
      fileName: 'rg.jpg',
    });
    expect(document.status, JSON.stringify(document.body)).toBe(201);
    // A face again (removed in §2.4): "201 Created ou 200 OK".
    const enrolled = await call('POST', biometria(maria.id), maria.token, { foto_base64: alice });
    expect([200, 201], JSON.stringify(enrolled.body)).toContain(enrolled.status);

    const status = `/api/verificacao/usuario/${maria.id}/status`;
    // identity learns of the face from biometrics' event.
    const own = await until(async () => {
      const answer = await call('GET', status, maria.token);
      return answer.body.data?.biometria_facial?.cadastrada ? answer : undefined;
    }, 'the biometric summary');
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({
      ...ok('Operação realizada com sucesso'),
      data: {
        usuario: { id: maria.id, nome_completo: 'Maria Souza', email: maria.email, perfil_verificado: false },
        documentos: {
          total: 1,
          pendentes: 1,
          aprovados: 0,
          rejeitados: 0,
          lista: [{ id: document.body.document.id, tipo: 'id_card', status: 'Pendente' }],
        },
        biometria_facial: { cadastrada: true, data_cadastro: expect.stringMatching(ISO) },
        pode_usar_sistema: false,
      },
    });

    // An admin reads anyone's; another user reads nobody's.
    const byAdmin = await call('GET', status, master);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.data).toEqual(own.body.data);
    const byOther = await call('GET', status, joao.token);
    expect(byOther.status).toBe(403);
    expect(byOther.body).toMatchObject({ success: false, error: 'Forbidden', code: 'FORBIDDEN' });
  });

  it('§2.7 lista os usuários verificados (administradores)', async () => {
    const { body } = await rest('GET', '/api/verification/documents', maria.token);
    const review = await rest('POST', `/api/admin/documents/${body.documents[0].id}/review`, master, {
      decision: 'approve',
    });
    expect(review.status, JSON.stringify(review.body)).toBe(200);

    const listed = await until(async () => {
      const answer = await call('GET', '/api/verificacao/usuarios/verificados?limite=100', master);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body.data.usuarios.some((u: Body) => u.id === maria.id) ? answer : undefined;
    }, 'Maria among the verified');
    expect(listed.body).toMatchObject({
      ...ok('Operação realizada com sucesso'),
      data: { proxima_pagina: null },
    });
    expect(listed.body.data.usuarios.find((u: Body) => u.id === maria.id)).toEqual({
      id: maria.id,
      nome_completo: 'Maria Souza',
      email: maria.email,
      perfil_verificado: true,
      tem_biometria_facial: true,
    });
    const byUser = await call('GET', '/api/verificacao/usuarios/verificados', maria.token);
    expect(byUser.status).toBe(403);
    expect(byUser.body).toMatchObject({ success: false, error: 'Forbidden' });
  });

  it('§2.8 lista os usuários com documentos pendentes (administradores)', async () => {
    const document = await rest('POST', '/api/verification/documents', joao.token, {
      type: 'passport',
      content: bruno,
    });
    expect(document.status, JSON.stringify(document.body)).toBe(201);
    const listed = await until(async () => {
      const answer = await call('GET', '/api/verificacao/usuarios/pendentes?limite=100', master);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body.data.usuarios.some((u: Body) => u.id === joao.id) ? answer : undefined;
    }, 'João among the pending');
    expect(listed.body).toMatchObject(ok('Operação realizada com sucesso'));
    expect(listed.body.data.usuarios.some((u: Body) => u.id === maria.id)).toBe(false);
    const bad = await call('GET', '/api/verificacao/usuarios/pendentes?limite=muitos', master);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, error: 'Validation Error', code: 'INVALID_INPUT' });
  });

  it('is in the OpenAPI document under its own tag', async () => {
    const doc = (await rest('GET', '/api/openapi.json')).body;
    expect(doc.tags).toContainEqual(expect.objectContaining({ name: 'compat: guardiao' }));
    const paths = Object.keys(doc.paths).filter((p) => p.startsWith('/compat/guardiao/'));
    expect(paths.sort()).toEqual(
      [
        '/compat/guardiao/api/verificacao/comparar-fotos',
        '/compat/guardiao/api/verificacao/usuario/{id}/biometria',
        '/compat/guardiao/api/verificacao/usuario/{id}/biometria/autenticar',
        '/compat/guardiao/api/verificacao/usuario/{id}/status',
        '/compat/guardiao/api/verificacao/usuarios/pendentes',
        '/compat/guardiao/api/verificacao/usuarios/verificados',
      ].sort(),
    );
  });
});
