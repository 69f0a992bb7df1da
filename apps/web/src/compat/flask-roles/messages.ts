/**
 * The Flask roles API's answers in its own words (the document is in Portuguese) and envelope:
 * `{ "message": "..." }`. The document's error rows keep its HTTP status where Guardian's differs
 * (wrong credentials are 403 there, a taken username 400, deleting yourself 400); `reason` always
 * carries Guardian's reason code, so a client can tell refusals apart without reading the sentence.
 */
import type { CompatAnswer, Refusal } from '../kit.js';

/** The HttpOnly cookie that keeps a signed-in client (`<name>_csrf` holds its CSRF token). */
export const SESSION_COOKIE = 'flask_roles_session';

/** The calls whose refusals the document words differently. */
export type Operation = 'login' | 'logout' | 'read' | 'list' | 'create' | 'update' | 'delete';

export const SUCCESS = {
  loggedIn: 'Login realizado com sucesso',
  alreadyLoggedIn: 'Usuário já está logado',
  loggedOut: 'Logout realizado com sucesso',
  created: 'Usuário criado com sucesso',
  updated: (id: number) => `Usuário 'id ${id}' atualizado com sucesso`,
  deleted: (id: number) => `Usuário 'id ${id}' deletado com sucesso`,
};

/** The profile's own validation (the origin's checks before any rule). */
export const VALIDATION = {
  credentials: 'Credenciais inválidas: informe username e password.',
  noField: 'Informe ao menos um campo: username, password ou role.',
  currentPassword:
    'Para alterar a própria senha, informe também a senha atual em current_password (regra do Guardian).',
  othersPassword:
    'O Guardian não define a senha de outro usuário: cada usuário altera a própria senha, com a senha atual.',
  notFound: 'Usuário não encontrado',
};

interface Row {
  status: number;
  message: string;
}

const NOT_SIGNED_IN: Row = { status: 401, message: 'Usuário não autenticado' };
const NOT_FOUND: Row = { status: 404, message: 'Usuário não encontrado' };

/** The document's rows, by Guardian reason, shared by every call. */
const ROWS: Record<string, Row> = {
  UNAUTHORIZED: NOT_SIGNED_IN,
  MISSING_TOKEN: NOT_SIGNED_IN,
  INVALID_TOKEN: NOT_SIGNED_IN,
  TOKEN_EXPIRED: { status: 401, message: 'Usuário não autenticado: a sessão expirou, faça login novamente.' },
  SESSION_EXPIRED: {
    status: 401,
    message: 'Usuário não autenticado: a sessão expirou, faça login novamente.',
  },
  SESSION_REVOKED: {
    status: 401,
    message: 'Usuário não autenticado: a sessão foi encerrada, faça login novamente.',
  },
  INVALID_CREDENTIALS: { status: 403, message: 'Credenciais inválidas' },
  MISSING_CREDENTIALS: { status: 403, message: VALIDATION.credentials },
  USER_NOT_FOUND: NOT_FOUND,
  NOT_FOUND,
  USERNAME_TAKEN: { status: 400, message: 'Username já existe' },
  EMAIL_TAKEN: { status: 400, message: 'E-mail já cadastrado em outro usuário' },
  CANNOT_CHANGE_OWN_USERNAME: { status: 400, message: 'Você não pode alterar o próprio username' },
  CANNOT_DELETE_SELF: { status: 400, message: 'Você não pode deletar a própria conta' },
  NO_USERS: { status: 404, message: 'Nenhum usuário encontrado' },
  // Guardian answers 401, which a Flask client reads as "signed out": the session is still live.
  INVALID_CURRENT_PASSWORD: { status: 400, message: 'A senha atual (current_password) está incorreta.' },
};

/** Each call's own rows (a plain refusal reads differently per call). */
const OPERATION_ROWS: Partial<Record<Operation, Record<string, Row>>> = {
  read: { FORBIDDEN: { status: 403, message: 'Sem permissão para ver este usuário' } },
  list: { FORBIDDEN: { status: 403, message: 'Usuário sem permissão de admin' } },
  create: {
    FORBIDDEN: {
      status: 403,
      message: 'Usuário sem permissão de admin (admins criam apenas role user; masters, qualquer role)',
    },
  },
  update: {
    FORBIDDEN: {
      status: 403,
      message:
        'Sem permissão para alterar usuário/role (usuários alteram só o próprio perfil; apenas masters alteram roles)',
    },
    CANNOT_CHANGE_OWN_ROLE: { status: 403, message: 'Você não pode alterar o próprio role' },
  },
  delete: {
    FORBIDDEN: {
      status: 403,
      message: 'Sem permissão para deletar usuário (apenas masters deletam admins e masters)',
    },
  },
};

/** Guardian's other refusals in Portuguese; their status is Guardian's (the document has no row). */
const GUARDIAN_MESSAGES: Record<string, string> = {
  INVALID_INPUT: 'Dados inválidos: verifique os campos enviados.',
  INVALID_USERNAME: 'Username inválido: use de 3 a 32 letras, dígitos, "_", "." ou "-".',
  INVALID_EMAIL: 'E-mail inválido.',
  INVALID_FULL_NAME: 'Nome inválido.',
  INVALID_ROLE: 'Role inválido: use user, admin ou master.',
  WEAK_PASSWORD:
    'Senha fraca: use ao menos 8 caracteres, sem repetir um só caractere, fora da lista de senhas comuns e diferente do username.',
  PASSWORD_REUSED: 'A nova senha deve ser diferente da atual.',
  CANNOT_CHANGE_OWN_ROLE: 'Você não pode alterar o próprio role.',
  CANNOT_CHANGE_OWN_STATUS: 'Você não pode alterar o próprio status.',
  ACCOUNT_LOCKED: 'Conta bloqueada temporariamente após várias tentativas. Tente novamente mais tarde.',
  TOO_MANY_ATTEMPTS: 'Muitas tentativas. Tente novamente mais tarde.',
  RATE_LIMITED: 'Muitas requisições. Tente novamente mais tarde.',
  ACCOUNT_DISABLED: 'Esta conta está desativada.',
  ENROLLMENT_PENDING: 'Esta conta aguarda o cadastro do rosto.',
  FACE_ONLY_ACCOUNT: 'Esta conta entra apenas com o rosto, sem senha.',
  PASSWORD_CHANGE_REQUIRED:
    'Senha provisória: escolha uma nova senha no primeiro login (POST /api/auth/login com newPassword).',
  CSRF_TOKEN_INVALID: `Escrita autenticada por cookie sem o token CSRF: envie o valor do cookie ${SESSION_COOKIE}_csrf (ou o csrf_token do login) no cabeçalho X-CSRF-Token, ou o token do login em Authorization: Bearer.`,
  PASSWORD_RESET_NOT_SUPPORTED: VALIDATION.othersPassword,
  CURRENT_PASSWORD_REQUIRED: VALIDATION.currentPassword,
  NO_FIELDS: VALIDATION.noField,
};

const BY_STATUS: Record<number, string> = {
  400: 'Dados inválidos.',
  401: NOT_SIGNED_IN.message,
  403: 'Acesso negado.',
  404: 'Não encontrado.',
  409: 'Conflito com o estado atual.',
  413: 'Requisição grande demais.',
  429: 'Muitas requisições. Tente novamente mais tarde.',
};

/** A refusal in the document's words and status (its row for `operation`, else Guardian's status). */
export function translate(refusal: Refusal, operation?: Operation): Refusal {
  const row = (operation && OPERATION_ROWS[operation]?.[refusal.reason]) ?? ROWS[refusal.reason];
  if (row) return { ...refusal, ...row };
  const message =
    GUARDIAN_MESSAGES[refusal.reason] ??
    BY_STATUS[refusal.status] ??
    (refusal.status >= 500
      ? 'Erro interno do servidor. Tente novamente em instantes.'
      : 'Não foi possível concluir a operação.');
  return { ...refusal, message };
}

/** The origin's error envelope, with Guardian's reason beside its message. */
export const failure = ({ status, reason, message }: Refusal): CompatAnswer => ({
  status,
  body: { message, reason },
});
