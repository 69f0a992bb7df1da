/**
 * The Guardião module's answers in its own words (Portuguese) and envelope. The rows of the origin's
 * error tables keep the document's text and HTTP status, even where Guardian's own API answers
 * otherwise (a photo without a face is 422 there, 500 here, as the document promises); `code` always
 * carries Guardian's reason, so a client can tell the rows apart without reading the sentence.
 */
import type { CompatAnswer, Refusal } from '../kit.js';

/** The origin's calls whose error tables differ; `undefined` (generic) for the rest. */
export type Operation = 'cadastrar' | 'autenticar' | 'remover';

interface Row {
  status: number;
  message: string;
}

/** The document's rows shared by every call that reads a photo (§2.1, §2.2). */
const PHOTO_ROWS: Record<string, Row> = {
  NO_FACE: { status: 500, message: 'Nenhuma face detectada na imagem: A imagem não contém um rosto claro.' },
  INFERENCE_QUEUE_FULL: {
    status: 500,
    message:
      'Muitas requisições simultâneas: Limite da API Face++ excedido. Tente novamente em alguns segundos.',
  },
  UNSUPPORTED_FORMAT: { status: 500, message: 'Formato de imagem não suportado: Use JPG ou PNG.' },
  IMAGE_TOO_SMALL: {
    status: 500,
    message: 'Tamanho da imagem inválido: Use imagens entre 48x48 e 4096x4096 pixels.',
  },
  IMAGE_TOO_LARGE: {
    status: 500,
    message: 'Tamanho da imagem inválido: Use imagens entre 48x48 e 4096x4096 pixels.',
  },
  // A template of an older face model: what the document calls an invalid or expired face token.
  REENROLLMENT_REQUIRED: {
    status: 500,
    message:
      'Token de face inválido ou expirado: A biometria cadastrada pode estar corrompida. Cadastre novamente.',
  },
  MODEL_MISMATCH: {
    status: 500,
    message:
      'Token de face inválido ou expirado: A biometria cadastrada pode estar corrompida. Cadastre novamente.',
  },
};

/** Each call's own rows (§2.1, §2.2, §2.4), before the shared ones. */
const OPERATION_ROWS: Record<Operation, Record<string, Row>> = {
  cadastrar: {
    FORBIDDEN: { status: 403, message: 'Tentativa de cadastrar biometria para outro usuário.' },
    PERMISSION_DENIED: { status: 403, message: 'Tentativa de cadastrar biometria para outro usuário.' },
    ENROLLMENT_NOT_ALLOWED: { status: 403, message: 'Tentativa de cadastrar biometria para outro usuário.' },
    USER_NOT_FOUND: { status: 404, message: 'Usuário com o id fornecido não encontrado.' },
  },
  autenticar: {
    NO_FACE: {
      status: 500,
      message:
        'Nenhuma face detectada na imagem: A imagem enviada para autenticação não contém um rosto claro.',
    },
    FACE_NOT_MATCHED: { status: 401, message: 'Face não corresponde ao usuário cadastrado' },
    NOT_ENROLLED: { status: 404, message: 'Biometria facial não cadastrada para este usuário.' },
  },
  remover: {
    FORBIDDEN: { status: 403, message: 'Tentativa de remover biometria de outro usuário.' },
    PERMISSION_DENIED: { status: 403, message: 'Tentativa de remover biometria de outro usuário.' },
    NOT_ENROLLED: { status: 404, message: 'Biometria não encontrada para este usuário.' },
  },
};

/** Guardian's other refusals in Portuguese; their status is Guardian's (the document has no row). */
const GUARDIAN_MESSAGES: Record<string, string> = {
  INVALID_INPUT: 'Dados inválidos: verifique os campos enviados.',
  INVALID_BASE64: 'A foto enviada não é um base64 válido.',
  IMAGE_REQUIRED: 'A foto enviada está vazia.',
  CORRUPT_IMAGE: 'A imagem está corrompida ou não pôde ser lida.',
  PAYLOAD_TOO_LARGE: 'A imagem é grande demais.',
  MULTIPLE_FACES: 'Mais de uma face detectada na imagem: envie uma foto com um único rosto.',
  FACE_TOO_SMALL: 'A face está pequena demais na imagem: aproxime o rosto da câmera.',
  LOW_QUALITY: 'A qualidade da face na imagem é insuficiente: use uma foto nítida e bem iluminada.',
  INCONSISTENT_SAMPLES: 'As fotos enviadas não parecem ser da mesma pessoa.',
  LIVENESS_REQUIRED:
    'Prova de vida obrigatória: este servidor não aceita uma foto única para cadastro ou login facial. Inicie uma captura em /api/auth/liveness e envie-a no campo "liveness".',
  LIVENESS_INVALID: 'A prova de vida enviada não é válida. Inicie uma nova captura.',
  LIVENESS_EXPIRED: 'A prova de vida expirou. Inicie uma nova captura.',
  LIVENESS_MISMATCH: 'A prova de vida foi iniciada para outro usuário ou dispositivo.',
  STEP_UP_REQUIRED:
    'Para substituir a biometria, entre novamente (senha ou face): o último login tem mais de 5 minutos.',
  TOO_MANY_ATTEMPTS: 'Muitas tentativas. Aguarde alguns instantes e tente novamente.',
  FACE_LOCKED: 'O login facial desta conta está bloqueado temporariamente após muitas tentativas.',
  ACCOUNT_LOCKED: 'A conta está bloqueada temporariamente após muitas tentativas.',
  ACCOUNT_DISABLED: 'A conta está desativada.',
  ENROLLMENT_PENDING: 'O cadastro facial desta conta ainda está sendo processado. Tente novamente.',
  TOO_MANY_REQUESTS: 'Muitas requisições. Tente novamente em alguns segundos.',
  UNAUTHORIZED: 'Token de autenticação não fornecido. Envie "Authorization: Bearer SEU_TOKEN_AQUI".',
  MISSING_TOKEN: 'Token de autenticação não fornecido. Envie "Authorization: Bearer SEU_TOKEN_AQUI".',
  INVALID_TOKEN: 'Token inválido ou expirado. Faça login novamente.',
  TOKEN_EXPIRED: 'Token inválido ou expirado. Faça login novamente.',
  SESSION_REVOKED: 'A sessão foi encerrada. Faça login novamente.',
  SESSION_EXPIRED: 'A sessão expirou. Faça login novamente.',
  FORBIDDEN: 'Acesso negado: você não tem permissão para esta operação.',
  PERMISSION_DENIED: 'Acesso negado: você não tem permissão para esta operação.',
  USER_NOT_FOUND: 'Usuário não encontrado.',
  NOT_FOUND: 'Recurso não encontrado.',
  INVALID_PAGE_TOKEN: 'O parâmetro proxima_pagina não é válido.',
};

const STATUS_MESSAGES: Record<number, string> = {
  400: 'Requisição inválida.',
  401: 'Não autenticado.',
  403: 'Acesso negado.',
  404: 'Recurso não encontrado.',
  409: 'Conflito com o estado atual do recurso.',
  413: 'A requisição é grande demais.',
  415: 'Formato não suportado.',
  422: 'Não foi possível processar a requisição.',
  429: 'Muitas requisições. Tente novamente em alguns segundos.',
  503: 'Serviço temporariamente indisponível. Tente novamente em alguns segundos.',
};

/** The document's "Status" column. */
const STATUS_NAMES: Record<number, string> = {
  400: 'Validation Error',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** A refusal as the origin words it: its row (status and text) or Guardian's status in Portuguese. */
export function translate(refusal: Refusal, operation?: Operation): Refusal {
  const row = (operation && OPERATION_ROWS[operation][refusal.reason]) ?? PHOTO_ROWS[refusal.reason];
  if (row) return { ...refusal, ...row };
  const message =
    GUARDIAN_MESSAGES[refusal.reason] ??
    STATUS_MESSAGES[refusal.status] ??
    'Erro interno do servidor. Tente novamente.';
  return { ...refusal, message };
}

const now = () => new Date().toISOString();

/** The module's success envelope. */
export const success = (message: string, data: unknown, status = 200): CompatAnswer => ({
  status,
  body: { success: true, message, data, timestamp: now() },
});

/** The module's error envelope (§2.2's 401 answer, plus the status name and Guardian's reason). */
export const failure = ({ status, reason, message }: Refusal): CompatAnswer => ({
  status,
  body: {
    success: false,
    message,
    error: STATUS_NAMES[status] ?? 'Error',
    code: reason,
    timestamp: now(),
  },
});

export const SUCCESS = {
  enrolled: 'Biometria facial cadastrada com sucesso',
  authenticated: 'Autenticação facial bem-sucedida',
  done: 'Operação realizada com sucesso',
  removed: 'Biometria facial removida com sucesso',
  samePerson: 'As faces correspondem à mesma pessoa',
  differentPeople: 'As faces não correspondem à mesma pessoa',
} as const;

/** The origin's own validation (its 400 rows). */
export const VALIDATION = {
  photo: 'foto_base64 não fornecida.',
  photos: 'foto_base64_1 e foto_base64_2 não fornecidas.',
} as const;
