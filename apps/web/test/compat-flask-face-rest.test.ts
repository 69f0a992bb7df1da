/**
 * Origin 002 (../shared/origins/002-flask-face-rest.es.txt) replayed against /compat/flask-face-rest:
 * its four routes in its order (two-step registration, face sign-in, profile), as its clients call
 * them (JSON, multipart photos, `Authorization: <token>` without "Bearer"), and their refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translate } from '../src/compat/flask-face-rest/messages.js';
import { flaskFaceRestProfile } from '../src/compat/flask-face-rest/profile.js';
import { facePhoto, photoWithoutFace } from './faces.js';
import { startMesh, type Mesh } from './harness.js';

/** A JSON body as tests read it (shapes are asserted, not typed). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

const refused = (mensaje: string, codigo: string) => ({ error: mensaje, mensaje, codigo });

describe('compat flask-face-rest: refusals the mesh does not provoke', () => {
  it('refuses a single photo where liveness is required, in Spanish with the reason code', () => {
    const refusal = {
      status: 400,
      reason: 'LIVENESS_REQUIRED',
      message: 'face enrollment needs a liveness capture',
    };
    for (const operation of ['imagenes', 'autenticacion', undefined] as const)
      expect(translate(refusal, operation)).toEqual({
        status: 400,
        reason: 'LIVENESS_REQUIRED',
        message: expect.stringMatching(
          /^Se requiere una prueba de vida: .*una sola foto.*\/api\/auth\/liveness/,
        ),
      });
    expect(flaskFaceRestProfile.error(refusal)).toEqual({
      status: 400,
      body: refused(translate(refusal).message, 'LIVENESS_REQUIRED'),
    });
    // A service that is down keeps Guardian's status, in Spanish, never its internals.
    expect(
      flaskFaceRestProfile.error({
        status: 503,
        reason: 'UNAVAILABLE',
        message: 'A service is not reachable',
      }),
    ).toEqual({
      status: 503,
      body: refused('Servicio no disponible: inténtelo de nuevo en unos segundos', 'UNAVAILABLE'),
    });
  });
});

describe('compat flask-face-rest: the Flask face REST API (002) replayed', () => {
  let mesh: Mesh;
  let api: string;
  let bruno: Buffer;
  let alice: Buffer;
  let noFace: Buffer;
  /** The account registered in two steps and signed in by face, as the tests go. */
  const juan = { id: '', token: '', correo: '', jwt: '' };

  /** A unique address of the README's shape (runs share nothing, addresses must not collide). */
  const correo = (name: string) =>
    `${name}.${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}@example.com`;

  async function send(
    method: string,
    path: string,
    init: { token?: string; json?: unknown; form?: FormData },
  ) {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: {
        // The origin's form: the token alone, no "Bearer".
        ...(init.token ? { authorization: init.token } : {}),
        ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
      ...(init.form ? { body: init.form } : {}),
    });
    return { status: response.status, body: (await response.json()) as Body };
  }

  /** A multipart form of photos, as the origin's clients upload them. */
  function photos(fields: Record<string, Buffer>): FormData {
    const form = new FormData();
    for (const [name, bytes] of Object.entries(fields))
      form.append(name, new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), `${name}.jpg`);
    return form;
  }

  const registroDatos = (nombre: string, email: string) =>
    send('POST', '/registro-datos', { json: { nombre, correo: email } });

  beforeAll(async () => {
    mesh = await startMesh({ web: { WEB_AUTH_RATE_LIMIT: '1000' } });
    api = `${mesh.baseUrl}/compat/flask-face-rest`;
    bruno = (await facePhoto('bruno')).bytes;
    alice = (await facePhoto('alice')).bytes;
    noFace = (await photoWithoutFace()).bytes;
  }, 200_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  it('POST /registro-datos guarda nombre y correo, y devuelve el id y el token del paso 2', async () => {
    juan.correo = correo('juan');
    const registered = await registroDatos('Juan Pérez', juan.correo);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body).toMatchObject({
      message: 'Usuario registrado',
      mensaje: 'Usuario registrado',
      id: expect.any(String),
      token: expect.stringMatching(/^ey/),
      token_expira: expect.any(String),
    });
    juan.id = registered.body.id;
    juan.token = registered.body.token;

    const incomplete = await send('POST', '/registro-datos', { json: { nombre: 'Juan Pérez' } });
    expect(incomplete.status).toBe(400);
    expect(incomplete.body).toEqual(refused('Nombre y correo son obligatorios', 'INVALID_INPUT'));

    const again = await registroDatos('Otro Juan', juan.correo);
    expect(again.status).toBe(409);
    expect(again.body).toEqual(refused('El correo ya está registrado', 'EMAIL_TAKEN'));
  });

  it('POST /registro-imagenes/<id> registra el rostro con tres fotos y el token del paso 1, de nadie más', async () => {
    const three = { imagen1: bruno, imagen2: bruno, imagen3: bruno };

    // The origin took anyone's photos for any new account; Guardian wants the token of step 1.
    const anonymous = await send('POST', `/registro-imagenes/${juan.id}`, { form: photos(three) });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual(refused('Token de registro requerido', 'MISSING_TOKEN'));
    const intruder = await registroDatos('Intruso', correo('intruso'));
    expect(intruder.status).toBe(201);
    const foreign = await send('POST', `/registro-imagenes/${juan.id}`, {
      token: intruder.body.token,
      form: photos({ imagen1: alice, imagen2: alice, imagen3: alice }),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual(
      refused('El token de registro no corresponde a este usuario', 'ENROLLMENT_TOKEN_MISMATCH'),
    );
    // A token naming Juan that Guardian did not sign: biometrics refuses it.
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forgedToken = `${part({ alg: 'EdDSA', kid: 'k' })}.${part({ sub: juan.id, aud: 'guardian-enrollment' })}.c2ln`;
    const forged = await send('POST', `/registro-imagenes/${juan.id}`, {
      token: forgedToken,
      form: photos(three),
    });
    expect(forged.status, JSON.stringify(forged.body)).toBe(401);
    expect(forged.body).toEqual(
      refused('Token de registro inválido o expirado: registre los datos de nuevo', 'INVALID_TOKEN'),
    );

    const two = await send('POST', `/registro-imagenes/${juan.id}`, {
      token: juan.token,
      form: photos({ imagen1: bruno, imagen2: bruno }),
    });
    expect(two.status).toBe(400);
    expect(two.body).toEqual(refused('Debe subir tres imágenes', 'SAMPLE_COUNT'));

    const blank = await send('POST', `/registro-imagenes/${juan.id}`, {
      token: juan.token,
      form: photos({ imagen1: noFace, imagen2: noFace, imagen3: noFace }),
    });
    expect(blank.status).toBe(422);
    expect(blank.body).toEqual(refused('No se detectó ningún rostro', 'NO_FACE'));

    const enrolled = await send('POST', `/registro-imagenes/${juan.id}`, {
      token: juan.token,
      form: photos(three),
    });
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
    expect(enrolled.body).toEqual({
      message: 'Imágenes cargadas y usuario actualizado',
      mensaje: 'Imágenes cargadas y usuario actualizado',
      id: juan.id,
    });
  });

  it('POST /autenticacion inicia sesión con una foto, sin nombre, y devuelve un JWT', async () => {
    const signIn = (imagen: Buffer) => send('POST', '/autenticacion', { form: photos({ imagen }) });
    // identity activates the account when it hears of the enrollment.
    let login = await signIn(bruno);
    for (let i = 0; i < 100 && login.body.codigo === 'ENROLLMENT_PENDING'; i++) {
      expect(login.body.mensaje).toMatch(/^El registro del rostro aún se está procesando/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      login = await signIn(bruno);
    }
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body).toMatchObject({
      mensaje: 'Autenticación exitosa',
      token: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/),
      usuario: { id: juan.id, nombre: 'Juan Pérez', correo: juan.correo },
    });
    juan.jwt = login.body.token;

    const stranger = await signIn(alice);
    expect(stranger.status).toBe(401);
    expect(stranger.body).toEqual(refused('No se encontró coincidencia facial', 'FACE_NOT_MATCHED'));

    const empty = await send('POST', '/autenticacion', { form: new FormData() });
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual(refused('Imagen no enviada', 'IMAGE_REQUIRED'));

    const blank = await signIn(noFace);
    expect(blank.status).toBe(422);
    expect(blank.body).toEqual(refused('No se detectó ningún rostro', 'NO_FACE'));
  });

  it('PUT /actualizar-perfil cambia el nombre con el token en `Authorization: <token>`', async () => {
    const updated = await send('PUT', '/actualizar-perfil', {
      token: juan.jwt,
      json: { nombre: 'Juan P. Pérez', correo: juan.correo },
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body).toEqual({
      mensaje: 'Perfil actualizado correctamente',
      usuario: { id: juan.id, nombre: 'Juan P. Pérez', correo: juan.correo },
    });
    const profile = await fetch(`${mesh.baseUrl}/api/user/profile`, {
      headers: { authorization: `Bearer ${juan.jwt}` },
    });
    expect(((await profile.json()) as Body).user).toMatchObject({
      fullName: 'Juan P. Pérez',
      email: juan.correo,
    });

    const anonymous = await send('PUT', '/actualizar-perfil', {
      json: { nombre: 'Nadie', correo: juan.correo },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual(refused('Token requerido', 'UNAUTHORIZED'));

    const unnamed = await send('PUT', '/actualizar-perfil', {
      token: juan.jwt,
      json: { correo: juan.correo },
    });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body).toEqual(refused('Nombre requerido', 'INVALID_INPUT'));

    // A user's own e-mail address is changed by an admin only, in Guardian.
    const other = correo('juan.nuevo');
    const moved = await send('PUT', '/actualizar-perfil', {
      token: juan.jwt,
      json: { nombre: 'Juan P. Pérez', correo: other },
    });
    expect(moved.status).toBe(403);
    expect(moved.body).toEqual(
      refused(
        'Guardian no permite cambiar el correo propio: solo un administrador puede cambiarlo',
        'FORBIDDEN',
      ),
    );
    const after = await fetch(`${mesh.baseUrl}/api/user/profile`, {
      headers: { authorization: `Bearer ${juan.jwt}` },
    });
    expect(((await after.json()) as Body).user.email).toBe(juan.correo);
  });

  it('is in the OpenAPI document under its own tag', async () => {
    const doc = (await (await fetch(`${mesh.baseUrl}/api/openapi.json`)).json()) as Body;
    expect(doc.tags).toContainEqual(expect.objectContaining({ name: 'compat: flask-face-rest' }));
    expect(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith('/compat/flask-face-rest/'))
        .sort(),
    ).toEqual([
      '/compat/flask-face-rest/actualizar-perfil',
      '/compat/flask-face-rest/autenticacion',
      '/compat/flask-face-rest/registro-datos',
      '/compat/flask-face-rest/registro-imagenes/{id}',
    ]);
  });
});
