/** Origin 000 (`../shared/origins/000-*`): see ./README.md for every call and how Guardian answers it. */
import type { RouterOutputs } from '../../router/root.js';
import {
  CompatError,
  refusalOf,
  type Body,
  type Caller,
  type CompatAnswer,
  type CompatProfile,
} from '../kit.js';
import { MSG, OWN_MESSAGES, REASON_MESSAGES, statusMessage } from './messages.js';

type GuardianUser = RouterOutputs['me']['profile']['user'];

/** ResponseView.success (manual 7.4). */
const success = (data: unknown, message: string, status = 200): CompatAnswer => ({
  status,
  body: { success: true, message, data },
});

/** The origin's integer id: the account's number (its string id until start-up has numbered it). */
const idOf = (user: GuardianUser): number | string => user.number || user.id;

/** User.to_dict() (manual 7.3). The origin's empty full name was None. */
const userDict = (user: GuardianUser) => ({
  id: idOf(user),
  username: user.username,
  email: user.email,
  full_name: user.fullName || null,
});

/** get_user_info() (7.3): the four fields once any was saved (the origin's user_info row), else nothing. */
function personalInfo(user: GuardianUser) {
  const p = user.profile;
  if (!p || !(p.phone || p.address || p.birthDate || p.bio)) return {};
  return {
    phone: p.phone || null,
    address: p.address || null,
    birth_date: p.birthDate || null,
    bio: p.bio || null,
  };
}

/** `if not data` (7.7, 7.8): no JSON object, or an empty one. */
function requireData(body: Body): void {
  if (Object.keys(body).length === 0) throw new CompatError(400, 'DATA_REQUIRED', MSG.noData);
}

/** `data.get(key)` where a text is expected: absent, null and '' are "not given". */
function text(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new CompatError(400, 'INVALID_INPUT', MSG.invalidData);
  return value;
}

/** A multipart file as the kit reads it (a Buffer over an ordinary ArrayBuffer). */
const isFile = (value: unknown): value is Uint8Array<ArrayBuffer> => value instanceof Uint8Array;

/**
 * The origin's `token_required` ran before anything else on a protected route: Guardian's verdict on
 * the token comes first here too (whoami checks it locally, no service call).
 */
async function tokenRequired(caller: Caller): Promise<void> {
  await caller.auth.whoami();
}

/** A password sign-in as the origin answered it: the user and one token. */
async function signIn(caller: Caller, username: string, password: string) {
  const signedIn = await caller.auth.login({ username, password, session: 'token' });
  if (signedIn.mode !== 'token') throw new Error('a token sign-in answered without a token');
  return { user: userDict(signedIn.user), token: signedIn.accessToken };
}

/**
 * The best match of biometrics' 1:N search (which decides who may search), or none. A photo without
 * a face was, like no match, the origin's 404 on this route.
 */
async function nearest(caller: Caller, image: Uint8Array<ArrayBuffer>) {
  try {
    const found = await caller.biometrics.identify({ image, topK: 1 });
    return found.recognised ? found.candidates[0] : undefined;
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal.reason === 'NO_FACE') throw new CompatError(404, 'NO_FACE', MSG.noFace);
    if (refusal.reason === 'PERMISSION_DENIED')
      throw new CompatError(403, 'PERMISSION_DENIED', MSG.identifyDenied);
    throw error;
  }
}

/** GET / (7.9): the origin's description of itself, unchanged (paths relative to this base URL). */
const INDEX = {
  message: 'API Flask - Login, Cadastro e Reconhecimento Facial',
  version: '1.0.0',
  endpoints: {
    auth: {
      register: 'POST /api/auth/register',
      login: 'POST /api/auth/login',
      logout: 'POST /api/auth/logout',
    },
    face: {
      register: 'POST /api/user/face/register',
      recognize: 'POST /api/user/face/recognize',
    },
  },
};

/** POST and PUT /api/user/info: the same save; the origin answered POST with 201. */
const saveInfo =
  (status: number) =>
  async ({ body, caller }: { body: Body; caller: Caller }): Promise<CompatAnswer> => {
    await tokenRequired(caller);
    requireData(body);
    // save_user_info replaced all four fields: one left out of the body is cleared.
    await caller.me.savePersonalInfo({
      phone: text(body, 'phone') ?? '',
      address: text(body, 'address') ?? '',
      birthDate: text(body, 'birth_date') ?? '',
      bio: text(body, 'bio') ?? '',
    });
    return success(null, MSG.infoSaved, status);
  };

export const flaskFaceManualProfile: CompatProfile = {
  name: 'flask-face-manual',
  title: 'Flask login, registration and face manual (000, pt-BR)',
  // token_required took `Authorization: Bearer <jwt>` and also the bare token.
  auth: 'raw',
  routes: [
    {
      method: 'GET',
      path: '/',
      summary: 'The API description (name, version, endpoints)',
      procedure: 'system.ping',
      handle: () => Promise.resolve({ body: INDEX }),
    },
    {
      method: 'POST',
      path: '/api/auth/register',
      summary: 'Cadastro: username, email, password, full_name (optional); answers the user and a token',
      procedure: 'auth.register',
      handle: async ({ body, caller }) => {
        requireData(body);
        const username = text(body, 'username');
        const email = text(body, 'email');
        const password = text(body, 'password');
        if (!username || !email || !password)
          throw new CompatError(400, 'FIELDS_REQUIRED', MSG.registerRequired);
        // Guardian names every account; the origin's full_name was optional, so the username stands in.
        const fullName = text(body, 'full_name') ?? username;
        await caller.auth.register({ username, email, password, fullName, locale: 'pt-BR' });
        // The origin's registration answered with a token: the new account signs in for it.
        return success(await signIn(caller, username, password), MSG.registered, 201);
      },
    },
    {
      method: 'POST',
      path: '/api/auth/login',
      summary: 'Login: username and password; answers the user and a token',
      procedure: 'auth.login',
      handle: async ({ body, caller }) => {
        requireData(body);
        const username = text(body, 'username');
        const password = text(body, 'password');
        if (!username || !password) throw new CompatError(400, 'FIELDS_REQUIRED', MSG.loginRequired);
        return success(await signIn(caller, username, password), MSG.loggedIn);
      },
    },
    {
      method: 'POST',
      path: '/api/auth/logout',
      summary: 'Logout (ends the session: the token stops working)',
      procedure: 'auth.logout',
      handle: async ({ caller }) => {
        await caller.auth.logout();
        return success(null, MSG.loggedOut);
      },
    },
    {
      method: 'GET',
      path: '/api/user/profile',
      summary: 'Perfil: the user and, once saved, phone, address, birth_date and bio',
      procedure: 'me.profile',
      handle: async ({ caller }) => {
        const { user } = await caller.me.profile();
        return success({ ...userDict(user), ...personalInfo(user) }, MSG.profile);
      },
    },
    {
      method: 'POST',
      path: '/api/user/info',
      summary: 'Salvar informações pessoais: phone, address, birth_date, bio (201)',
      procedure: 'me.savePersonalInfo',
      handle: saveInfo(201),
    },
    {
      method: 'PUT',
      path: '/api/user/info',
      summary: 'Salvar informações pessoais: phone, address, birth_date, bio (200)',
      procedure: 'me.savePersonalInfo',
      handle: saveInfo(200),
    },
    {
      method: 'POST',
      path: '/api/user/face/register',
      summary: 'Cadastrar face: multipart `image` (where photo enrollment is allowed)',
      procedure: 'biometrics.enroll',
      files: { image: 'image' },
      handle: async ({ body, caller }) => {
        // token_required, then User.find_by_id (7.8): the account, for its number.
        const { user } = await caller.me.profile();
        const image = body.image;
        if (!isFile(image)) throw new CompatError(400, 'IMAGE_REQUIRED', MSG.noImage);
        await caller.biometrics.enroll({ images: [image] });
        // One template per user in Guardian, so the face is numbered as its user; no photo is kept.
        return success({ face_id: idOf(user), image_path: null }, MSG.faceRegistered, 201);
      },
    },
    {
      method: 'POST',
      path: '/api/user/face/recognize',
      summary:
        'Reconhecer face (1:N) among all registered faces: multipart `image`; for callers allowed to identify (admins)',
      procedure: 'biometrics.identify',
      files: { image: 'image' },
      handle: async ({ body, caller }) => {
        // Never anonymous in Guardian: the token comes first, then the origin's checks.
        await tokenRequired(caller);
        const image = body.image;
        if (!isFile(image)) throw new CompatError(400, 'IMAGE_REQUIRED', MSG.noImage);
        const best = await nearest(caller, image);
        if (!best?.user) throw new CompatError(404, 'FACE_NOT_RECOGNIZED', MSG.faceNotRecognized);
        return success(
          {
            user_id: idOf(best.user),
            username: best.user.username,
            full_name: best.user.fullName || null,
            // The origin's confidence was 1 - distance (0..1); Guardian's is calibrated, 0..100.
            confidence: Math.round(best.confidence * 100) / 10_000,
            face_id: idOf(best.user),
          },
          MSG.faceRecognized,
        );
      },
    },
  ],
  error: ({ status, reason, message }) => {
    // The origin answered every bad request with 400 (it had no 415 or 422).
    const shown = status === 415 || status === 422 ? 400 : status;
    return {
      status: shown,
      body: {
        success: false,
        message: OWN_MESSAGES.has(message) ? message : (REASON_MESSAGES[reason] ?? statusMessage(shown)),
        // ResponseView.error's `errors` (null in the origin) carries Guardian's reason code.
        errors: { reason },
      },
    };
  },
};
