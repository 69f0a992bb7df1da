/**
 * Origin 000's words (pt-BR). The first group is the manual's own text, verbatim; the rest say in
 * the same voice what Guardian refuses that the origin never did (its reason code travels beside).
 */
export const MSG = {
  // ResponseView (7.4) and the controllers (7.7, 7.8), verbatim.
  noData: 'Dados não fornecidos',
  registerRequired: 'Username, email e senha são obrigatórios',
  loginRequired: 'Username e senha são obrigatórios',
  registered: 'Usuário cadastrado com sucesso',
  loggedIn: 'Login realizado com sucesso',
  loggedOut: 'Logout realizado com sucesso',
  profile: 'Perfil recuperado com sucesso',
  infoSaved: 'Informações salvas com sucesso',
  noImage: 'Imagem não fornecida',
  noFile: 'Nenhum arquivo selecionado',
  noFace: 'Nenhuma face detectada na imagem',
  faceRegistered: 'Face cadastrada com sucesso',
  faceRecognized: 'Face reconhecida com sucesso',
  faceNotRecognized: 'Face não reconhecida',
  noToken: 'Token de autenticação não fornecido',
  badToken: 'Token inválido ou expirado',
  // Guardian's own refusals, in the origin's language.
  invalidData: 'Dados inválidos',
  identifyDenied: 'Apenas administradores podem reconhecer faces entre todos os usuários',
} as const;

/** The profile's own sentences (CompatError): shown as they are, whatever the reason code. */
export const OWN_MESSAGES: ReadonlySet<string> = new Set(Object.values(MSG));

/** Guardian's reason codes -> the origin's sentence. Reasons not listed fall back to STATUS_MESSAGES. */
export const REASON_MESSAGES: Readonly<Record<string, string>> = {
  // Sign-up and sign-in (identity).
  USERNAME_TAKEN: 'Username já está em uso',
  EMAIL_TAKEN: 'Email já está em uso',
  INVALID_USERNAME: 'Username inválido: use de 3 a 32 letras, dígitos, "_", "." ou "-"',
  INVALID_EMAIL: 'Email inválido',
  INVALID_FULL_NAME: 'Nome completo inválido',
  WEAK_PASSWORD:
    'Senha fraca: use ao menos 8 caracteres, evite senhas comuns (como "senha123") e não repita o username ou o email',
  INVALID_CREDENTIALS: 'Credenciais inválidas',
  ACCOUNT_LOCKED: 'Conta bloqueada temporariamente após várias tentativas; tente novamente mais tarde',
  TOO_MANY_ATTEMPTS: 'Muitas tentativas; tente novamente mais tarde',
  ACCOUNT_DISABLED: 'Conta desativada',
  PASSWORD_CHANGE_REQUIRED: 'É preciso trocar a senha antes de entrar (senha provisória)',
  FACE_ONLY_ACCOUNT: 'Esta conta entra apenas com o rosto, sem senha',
  ENROLLMENT_PENDING: 'Cadastro pendente: a face desta conta ainda não foi cadastrada',
  USER_NOT_FOUND: 'Usuário não encontrado',
  // Tokens: missing (the procedure saw none) or not valid any more (logout revokes the session).
  UNAUTHORIZED: MSG.noToken,
  MISSING_TOKEN: MSG.noToken,
  INVALID_TOKEN: MSG.badToken,
  TOKEN_EXPIRED: MSG.badToken,
  SESSION_REVOKED: MSG.badToken,
  SESSION_EXPIRED: MSG.badToken,
  UNAUTHENTICATED: MSG.badToken,
  FORBIDDEN: 'Acesso negado',
  PERMISSION_DENIED: 'Acesso negado',
  // Personal information.
  INVALID_PHONE: 'Telefone inválido',
  INVALID_ADDRESS: 'Endereço inválido: no máximo 300 caracteres',
  INVALID_BIRTH_DATE: 'Data de nascimento inválida: use AAAA-MM-DD',
  BIRTH_DATE_IN_FUTURE: 'Data de nascimento não pode estar no futuro',
  BIO_TOO_LONG: 'Bio muito longa: no máximo 500 caracteres',
  INVALID_INPUT: MSG.invalidData,
  // Photos and faces (biometrics).
  NO_FACE: MSG.noFace,
  MULTIPLE_FACES: 'Mais de uma face detectada na imagem; envie uma foto com um só rosto',
  FACE_TOO_SMALL: 'Rosto muito pequeno na imagem; aproxime a câmera',
  LOW_QUALITY: 'Qualidade da imagem insuficiente; use foto nítida, rosto centralizado, boa iluminação',
  IMAGE_TOO_SMALL: 'Imagem muito pequena (mínimo de 48 pixels por lado)',
  IMAGE_TOO_LARGE: 'Imagem muito grande',
  PAYLOAD_TOO_LARGE: 'Arquivo muito grande',
  UNSUPPORTED_FORMAT: 'Tipo de arquivo não permitido',
  CORRUPT_IMAGE: 'Imagem corrompida ou ilegível',
  IMAGE_REQUIRED: MSG.noFile,
  EMPTY_IMAGE: MSG.noFile,
  NOT_ENROLLED: 'Nenhuma face cadastrada para este usuário',
  REENROLLMENT_REQUIRED: 'É preciso cadastrar a face novamente',
  MODEL_MISMATCH: 'É preciso cadastrar a face novamente',
  LIVENESS_REQUIRED:
    'Cadastro de face por foto desativado neste servidor: é exigida prova de vida (liveness). Use a API do Guardian (/api/auth/liveness e /api/user/face/register com "liveness")',
  FACE_LOCKED: 'Muitas tentativas de reconhecimento; tente novamente mais tarde',
  INFERENCE_QUEUE_FULL: 'Servidor ocupado; tente novamente em instantes',
  // Guardian's own edge.
  RATE_LIMITED: 'Muitas requisições; tente novamente mais tarde',
};

/** The origin's default per status (ResponseView's defaults for 400, 401 and 404). */
export function statusMessage(status: number): string {
  if (status === 401) return 'Não autorizado';
  if (status === 403) return 'Acesso negado';
  if (status === 404) return 'Recurso não encontrado';
  if (status === 409) return 'Conflito com dados existentes';
  if (status === 413) return 'Arquivo muito grande';
  if (status === 429) return 'Muitas requisições; tente novamente mais tarde';
  if (status === 500) return 'Erro interno do servidor';
  if (status === 501) return 'Operação não disponível';
  if (status > 500) return 'Serviço indisponível no momento; tente novamente em instantes';
  return 'Erro na operação';
}
