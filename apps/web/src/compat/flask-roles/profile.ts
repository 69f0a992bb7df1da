/** Origin 003 (`../shared/origins/003-*`): see ./README.md for every call and how Guardian answers it. */
import { randomUUID } from 'node:crypto';
import {
  CompatError,
  refusalOf,
  type Caller,
  type CompatAnswer,
  type CompatCall,
  type CompatProfile,
} from '../kit.js';
import { failure, translate, SESSION_COOKIE, SUCCESS, VALIDATION, type Operation } from './messages.js';

type User = Awaited<ReturnType<Caller['me']['profile']>>['user'];
type Role = Parameters<Caller['admin']['users']['create']>[0]['role'];

/**
 * Runs a call and answers its refusals in the origin's words and envelope. Guardian's own 5xx (a
 * service down, a bug) go on to the kit, which logs them before `error` words them.
 */
async function answering(operation: Operation, run: () => Promise<CompatAnswer>): Promise<CompatAnswer> {
  try {
    return await run();
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal.status >= 500 && !(error instanceof CompatError)) throw error;
    return failure(translate(refusal, operation));
  }
}

/**
 * Flask's `<int:user_id>`: decimal digits, or the route does not match (404). The integer is the
 * account's number (identity's User.number), which every procedure taking a `userId` accepts.
 */
function accountNumber(call: CompatCall): number {
  const raw = call.params.user_id ?? '';
  if (!/^[0-9]{1,15}$/.test(raw)) throw new CompatError(404, 'NOT_FOUND', VALIDATION.notFound);
  return Number(raw);
}

/** A user as the document shows one: the integer id, the username and the role. */
const account = (user: User) => ({ id: user.number, username: user.username, role: user.role });

/** Whether the request's token opens a live session (a second /login only says so). */
async function signedIn(caller: Caller): Promise<boolean> {
  try {
    await caller.auth.whoami();
    return true;
  } catch (error) {
    if (refusalOf(error).status === 401) return false;
    throw error;
  }
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

export const flaskRolesProfile: CompatProfile = {
  name: 'flask-roles',
  title: 'Flask user/admin/master API (003, pt-BR)',
  auth: 'bearer',
  // Flask-Login kept the client in a cookie: clients replay a cookie jar (see README, "Cookies").
  sessionCookie: SESSION_COOKIE,
  routes: [
    {
      method: 'POST',
      path: '/login',
      summary:
        'Sign in with username and password: the access token in the answer, and in an HttpOnly cookie for cookie-jar clients',
      procedure: 'auth.login',
      sessionReadOnly: true,
      handle: (call) =>
        answering('login', async () => {
          if (call.token && (await signedIn(call.caller)))
            return { body: { message: SUCCESS.alreadyLoggedIn } };
          const username = text(call.body.username);
          const password = typeof call.body.password === 'string' ? call.body.password : '';
          if (!username || !password)
            throw new CompatError(403, 'MISSING_CREDENTIALS', VALIDATION.credentials);
          const signed = await call.caller.auth.login({ username, password, session: 'token' });
          if (signed.mode !== 'token') throw new Error('auth.login answered without tokens');
          const expiresAt = signed.accessTokenExpiresAt ? new Date(signed.accessTokenExpiresAt) : undefined;
          const { csrfToken } = call.session.set({
            accessToken: signed.accessToken,
            accessTokenExpiresAt: expiresAt,
            refreshToken: signed.refreshToken,
          });
          return {
            body: {
              message: SUCCESS.loggedIn,
              ...account(signed.user),
              access_token: signed.accessToken,
              token_type: 'Bearer',
              expires_at: signed.accessTokenExpiresAt,
              csrf_token: csrfToken,
            },
          };
        }),
    },
    {
      method: 'GET',
      path: '/logout',
      summary: 'End the session (the token or cookie it was opened with) and clear the cookie',
      procedure: 'auth.logout',
      handle: (call) =>
        answering('logout', async () => {
          try {
            await call.caller.auth.logout();
          } finally {
            call.session.clear();
          }
          return { body: { message: SUCCESS.loggedOut } };
        }),
    },
    {
      method: 'GET',
      path: '/users/all',
      summary: 'Every user (admins and masters): id (account number), username, role',
      procedure: 'admin.users.list',
      handle: (call) =>
        answering('list', async () => {
          const users: ReturnType<typeof account>[] = [];
          let pageToken = '';
          do {
            const page = await call.caller.admin.users.list({ pageSize: 100, pageToken });
            users.push(...page.users.map(account));
            pageToken = page.nextPageToken;
          } while (pageToken);
          if (users.length === 0) throw new CompatError(404, 'NO_USERS', 'Nenhum usuário encontrado');
          return { body: users };
        }),
    },
    {
      method: 'GET',
      path: '/users/:user_id',
      summary: 'One user by account number: yourself, or anyone for admins and masters',
      procedure: 'admin.users.get',
      handle: (call) =>
        answering('read', async () => {
          const number = accountNumber(call);
          const { user: me } = await call.caller.me.profile();
          const user =
            me.number === number ? me : (await call.caller.admin.users.get({ userId: String(number) })).user;
          return { body: { id: user.number, username: user.username } };
        }),
    },
    {
      method: 'POST',
      path: '/create_user',
      summary:
        'Create a user (admins: role user; masters: any role); optional email (a placeholder otherwise) and full_name',
      procedure: 'admin.users.create',
      handle: (call) =>
        answering('create', async () => {
          const username = text(call.body.username);
          // The procedure validates the fields after its sign-in and admin checks: the origin's order
          // (401, 403, then 400).
          const { user } = await call.caller.admin.users.create({
            username: call.body.username as string,
            password: call.body.password as string,
            // Guardian needs an e-mail for every account; the origin had none. A reserved `.invalid`
            // address (RFC 2606) reaches no one and collides with nothing.
            email: text(call.body.email) ?? (username ? `${randomUUID()}@flask-roles.invalid` : ''),
            fullName: text(call.body.full_name) ?? username ?? '',
            locale: 'pt-BR',
            role: (call.body.role ?? 'user') as Role,
          });
          return { status: 201, body: { message: SUCCESS.created, ...account(user) } };
        }),
    },
    {
      method: 'PUT',
      path: '/update_user/:user_id',
      summary: "Change a user's username or role (masters), or your own password (with current_password)",
      // A password change checks the current one: the sign-in tier limits guesses.
      procedure: 'me.changePassword',
      handle: (call) =>
        answering('update', async () => {
          const number = accountNumber(call);
          const { username, password, role, current_password: currentPassword } = call.body;
          if (username === undefined && password === undefined && role === undefined)
            throw new CompatError(400, 'NO_FIELDS', VALIDATION.noField);
          const { user: me } = await call.caller.me.profile();
          const self = me.number === number;
          if (password !== undefined && !self)
            throw new CompatError(403, 'PASSWORD_RESET_NOT_SUPPORTED', VALIDATION.othersPassword);
          if (password !== undefined && !text(currentPassword))
            throw new CompatError(400, 'CURRENT_PASSWORD_REQUIRED', VALIDATION.currentPassword);
          // Your own unchanged username is no change (the origin ignored it too).
          const changes = {
            ...(username !== undefined && !(self && username === me.username)
              ? { username: username as string }
              : {}),
            ...(role !== undefined ? { role: role as Role } : {}),
          };
          // identity decides (@guardian/auth `can`); for yourself every such change is refused,
          // so it goes first and a refusal leaves the password as it was.
          let user = self ? me : undefined;
          if (Object.keys(changes).length > 0)
            ({ user } = await call.caller.admin.users.update({ userId: String(number), ...changes }));
          if (password !== undefined)
            await call.caller.me.changePassword({
              currentPassword: currentPassword as string,
              newPassword: password as string,
            });
          return { body: { message: SUCCESS.updated(number), ...(user ? account(user) : {}) } };
        }),
    },
    {
      method: 'DELETE',
      path: '/delete_user/:user_id',
      summary: 'Delete a user (admins: users; masters: anyone; never yourself)',
      procedure: 'admin.users.delete',
      handle: (call) =>
        answering('delete', async () => {
          const number = accountNumber(call);
          await call.caller.admin.users.delete({ userId: String(number) });
          return { body: { message: SUCCESS.deleted(number) } };
        }),
    },
  ],
  error: (refusal) => failure(translate(refusal)),
};
