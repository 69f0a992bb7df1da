/** Origin 002 (`../shared/origins/002-*`): see ./README.md for every call and how Guardian answers it. */
import { unverifiedClaims } from '@guardian/auth';
import {
  answeringWith,
  CompatError,
  type Body,
  type Caller,
  type CompatAnswer,
  type CompatProfile,
  type CompatRoute,
} from '../kit.js';
import { failure, translate, SUCCESS, VALIDATION, type Operation } from './messages.js';

type Liveness = Parameters<Caller['auth']['faceLogin']>[0]['liveness'];
type Photo = NonNullable<Parameters<Caller['auth']['faceOnlyEnroll']>[0]['images']>[number];

/** Runs a call and answers its refusals in the origin's words, for this operation. */
const answering = (operation: Operation, run: () => Promise<CompatAnswer>) =>
  answeringWith((refusal) => failure(refusal.own ? refusal : translate(refusal, operation)), run);

const isPhoto = (value: unknown): value is Photo =>
  (typeof value === 'string' && value !== '') || value instanceof Uint8Array;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/**
 * The face of a call: a liveness capture (JSON `liveness`, for clients that follow Guardian's
 * policy) or the origin's photos.
 */
const livenessOf = (body: Body): { liveness: Liveness } | undefined =>
  body.liveness === undefined ? undefined : { liveness: body.liveness as Liveness };

const routes: CompatRoute[] = [
  {
    method: 'POST',
    path: '/registro-datos',
    summary: 'Paso 1: nombre y correo -> a pending face-only account, its id and its enrollment token',
    procedure: 'auth.faceOnlyRegister',
    handle: (call) =>
      answering('registro', async () => {
        const nombre = text(call.body.nombre);
        const correo = text(call.body.correo);
        if (!nombre || !correo) throw new CompatError(400, 'INVALID_INPUT', VALIDATION.nameAndEmail);
        const result = await call.caller.auth.faceOnlyRegister({
          fullName: nombre,
          email: correo,
          locale: 'es',
        });
        return {
          status: 201,
          body: {
            message: SUCCESS.registered,
            mensaje: SUCCESS.registered,
            id: result.user.id,
            // Step 2 needs it (Authorization header): only the one who registered enrolls the face.
            token: result.enrollmentToken,
            token_expira: result.enrollmentTokenExpiresAt,
          },
        };
      }),
  },
  {
    method: 'POST',
    path: '/registro-imagenes/:id',
    summary:
      'Paso 2: three face photos (multipart `imagen1`..`imagen3`) with `Authorization: <token of step 1>` -> face-only enrollment',
    procedure: 'auth.faceOnlyEnroll',
    files: { imagen1: 'imagenes[]', imagen2: 'imagenes[]', imagen3: 'imagenes[]', imagenes: 'imagenes[]' },
    handle: (call) =>
      answering('imagenes', async () => {
        const token = call.token;
        if (!token) throw new CompatError(401, 'MISSING_TOKEN', VALIDATION.enrollmentToken);
        // The procedure enrolls the account the token names; the path must name the same one.
        if (unverifiedClaims(token)?.sub !== call.params.id)
          throw new CompatError(403, 'ENROLLMENT_TOKEN_MISMATCH', VALIDATION.tokenMismatch);
        const liveness = livenessOf(call.body);
        const listed: unknown[] = Array.isArray(call.body.imagenes) ? call.body.imagenes : [];
        const named = [call.body.imagen1, call.body.imagen2, call.body.imagen3];
        const images = [...listed, ...named].filter(isPhoto);
        if (!liveness && images.length < 3)
          throw new CompatError(400, 'SAMPLE_COUNT', VALIDATION.threeImages);
        const result = await call.caller.auth.faceOnlyEnroll({
          enrollmentToken: token,
          ...(liveness ?? { images }),
        });
        return {
          status: 200,
          body: { message: SUCCESS.enrolled, mensaje: SUCCESS.enrolled, id: result.enrollment?.userId },
        };
      }),
  },
  {
    method: 'POST',
    path: '/autenticacion',
    summary: 'Face sign-in without a name (multipart `imagen`) -> JWT',
    procedure: 'auth.faceLogin',
    files: { imagen: 'imagen' },
    handle: (call) =>
      answering('autenticacion', async () => {
        const image = call.body.imagen;
        const face = livenessOf(call.body) ?? (isPhoto(image) ? { image } : undefined);
        if (!face) throw new CompatError(400, 'IMAGE_REQUIRED', VALIDATION.image);
        const result = await call.caller.auth.faceLogin({ ...face, session: 'token' });
        if (result.mode !== 'token') throw new Error('face sign-in answered without tokens');
        return {
          status: 200,
          body: {
            mensaje: SUCCESS.authenticated,
            token: result.accessToken,
            token_expira: result.accessTokenExpiresAt,
            refresh_token: result.refreshToken,
            usuario: {
              id: result.user.id,
              nombre: result.user.fullName,
              correo: result.user.email,
              // The origin's route answered the address under this key.
              email: result.user.email,
            },
            // Guardian keeps no photos.
            foto_perfil: null,
          },
        };
      }),
  },
  {
    method: 'PUT',
    path: '/actualizar-perfil',
    summary: 'Name and e-mail of the signed-in user (`Authorization: <token>`)',
    procedure: 'me.updateProfile',
    handle: (call) =>
      answering('perfil', async () => {
        const nombre = text(call.body.nombre);
        const correo = text(call.body.correo);
        if (!nombre) throw new CompatError(400, 'INVALID_INPUT', VALIDATION.name);
        if (!correo) throw new CompatError(400, 'INVALID_INPUT', VALIDATION.email);
        const { user } = await call.caller.me.profile();
        // A user changes their name; an e-mail address is changed by the admin procedure only,
        // which refuses everyone but admins (Guardian's rule, answered in Spanish).
        const updated =
          correo.toLowerCase() === user.email.toLowerCase()
            ? await call.caller.me.updateProfile({ fullName: nombre })
            : await call.caller.admin.users.update({ userId: user.id, fullName: nombre, email: correo });
        return {
          status: 200,
          body: {
            mensaje: SUCCESS.updated,
            usuario: { id: updated.user.id, nombre: updated.user.fullName, correo: updated.user.email },
          },
        };
      }),
  },
];

export const flaskFaceRestProfile: CompatProfile = {
  name: 'flask-face-rest',
  title: 'Flask face REST API (002, es)',
  auth: 'raw',
  routes,
  error: (refusal) => failure(translate(refusal)),
};
