/**
 * Origin 004, DeepEmotion API v2 (`../shared/origins/004-deepemotion-video-api.pt.txt`): sign up, sign
 * in, upload a video (initialize -> send the bytes -> finalize), list videos, open one with its
 * analysis. Over the `auth.*` and `media.*` procedures; ./README.md has every call and what differs.
 */
import type { RouterOutputs } from '../../router/root.js';
import { CompatError, type CompatCall, type CompatProfile } from '../kit.js';

type Video = RouterOutputs['media']['get']['video'];

/** DeepEmotion's Celery-era job states. */
const STATUS: Record<string, string> = {
  uploading: 'UPLOADING',
  queued: 'PENDING',
  processing: 'PROCESSING',
  done: 'COMPLETED',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
};

/** Portuguese messages by Guardian reason (others: the generic sentence and the code). */
const MESSAGES: Record<string, string> = {
  INVALID_CREDENTIALS: 'Credenciais inválidas.',
  USERNAME_TAKEN: 'Nome de usuário já está em uso.',
  EMAIL_TAKEN: 'E-mail já cadastrado.',
  WEAK_PASSWORD: 'A senha é fraca demais.',
  INVALID_INPUT: 'Dados inválidos.',
  UNAUTHORIZED: 'Token de acesso ausente ou inválido.',
  UNAUTHENTICATED: 'Token de acesso ausente ou inválido.',
  VIDEO_NOT_FOUND: 'Vídeo não encontrado.',
  UNSUPPORTED_FORMAT: 'Formato de vídeo não suportado (use MP4/MOV, WebM/MKV ou AVI).',
  CORRUPT_VIDEO: 'O vídeo não pôde ser lido.',
  VIDEO_TOO_LONG: 'O vídeo é longo demais.',
  PAYLOAD_TOO_LARGE: 'O arquivo é grande demais.',
  UPLOAD_INCOMPLETE: 'O upload ainda não terminou: envie o arquivo antes de finalizar.',
  RATE_LIMITED: 'Muitas requisições. Tente novamente em instantes.',
  ACCOUNT_LOCKED: 'Conta bloqueada temporariamente por tentativas inválidas.',
};

const message = (reason: string, fallback = 'Não foi possível concluir a operação.') =>
  MESSAGES[reason] ?? fallback;

const text = (body: Record<string, unknown>, ...keys: string[]) => {
  for (const key of keys) if (typeof body[key] === 'string' && body[key] !== '') return body[key];
  return undefined;
};

function required(body: Record<string, unknown>, field: string, ...aliases: string[]): string {
  const value = text(body, field, ...aliases);
  if (value === undefined) throw new CompatError(400, 'INVALID_INPUT', `O campo "${field}" é obrigatório.`);
  return value;
}

/** A video as DeepEmotion listed it (snake_case), with Guardian's extra facts. */
function video(v: Video) {
  return {
    id: v.id,
    filename: v.fileName,
    status: STATUS[v.state] ?? v.state.toUpperCase(),
    progress: v.progress?.percent ?? 0,
    duration_seconds: v.durationMs / 1000,
    created_at: v.createdAt,
    processed_at: v.finishedAt ?? null,
    error: v.failureReason || null,
  };
}

/** The timeline page the call asked for (`?cursor=`), with the fields that say whether more follows. */
async function analysis(call: CompatCall, v: Video) {
  const page = await call.caller.media.timeline({
    videoId: v.id,
    cursor: call.query.cursor ?? '',
    pageSize: 500,
  });
  return {
    dominant_emotion: v.summary?.dominantExpression || null,
    emotion_distribution: v.summary?.distribution ?? null,
    people: v.summary?.people ?? 0,
    seconds_without_face: v.summary?.secondsWithoutFace ?? 0,
    tracks: v.tracks.map((t) => ({
      id: t.id,
      dominant_emotion: t.dominantExpression,
      share: t.dominantShare,
      start_seconds: t.firstMs / 1000,
      end_seconds: t.lastMs / 1000,
    })),
    frames: page.frames.map((f) => ({
      timestamp: f.tMs / 1000,
      faces: f.faces.map((face) => ({
        track_id: face.trackId,
        emotion: face.dominantExpression,
        emotions: face.expressions,
        box: face.box,
      })),
    })),
    frames_total: page.framesTotal,
    next_cursor: page.nextCursor || null,
    complete: page.complete,
  };
}

export const deepemotionProfile: CompatProfile = {
  name: 'deepemotion',
  title: 'DeepEmotion video API v2 (004, pt-BR): /compat/deepemotion/api/v2/...',
  auth: 'bearer',
  routes: [
    {
      method: 'POST',
      path: '/api/v2/auth/register',
      summary: 'Registra um novo usuário (username, email, password)',
      procedure: 'auth.register',
      handle: async ({ body, caller }) => {
        const username = required(body, 'username');
        const { user } = await caller.auth.register({
          username,
          email: required(body, 'email'),
          password: required(body, 'password'),
          fullName: text(body, 'full_name', 'name') ?? username,
          locale: 'pt-BR',
        });
        return {
          status: 201,
          body: {
            message: 'Usuário registrado com sucesso.',
            user: { id: user.id, username: user.username, email: user.email },
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/api/v2/auth/login',
      summary: 'Autentica um usuário e retorna um token JWT (access_token)',
      procedure: 'auth.login',
      handle: async ({ body, caller }) => {
        const identifier = required(body, 'email', 'username');
        const result = await caller.auth.login({
          identifier,
          password: required(body, 'password'),
          session: 'token',
        });
        if (result.mode !== 'token') throw new CompatError(500, 'NO_TOKENS', message('NO_TOKENS'));
        return {
          body: {
            access_token: result.accessToken,
            refresh_token: result.refreshToken,
            token_type: 'Bearer',
            expires_at: result.accessTokenExpiresAt,
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/api/v2/videos/upload/initialize',
      summary: 'Inicia o upload: retorna video_id e a URL para enviar o arquivo (PUT, com o token)',
      procedure: 'media.initialize',
      handle: async ({ body, caller }) => {
        const size = Number(body.file_size ?? body.size ?? body.content_length);
        if (!Number.isSafeInteger(size) || size <= 0)
          throw new CompatError(400, 'INVALID_INPUT', 'Informe "file_size": o tamanho do arquivo em bytes.');
        const { video: v, uploadUrl } = await caller.media.initialize({
          fileName: text(body, 'filename', 'file_name') ?? 'video',
          sizeBytes: size,
        });
        return {
          status: 201,
          body: {
            video_id: v.id,
            upload_url: uploadUrl,
            method: 'PUT',
            headers: { Authorization: 'Bearer <access_token>', 'Content-Type': 'application/octet-stream' },
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/api/v2/videos/upload/finalize',
      summary: 'Finaliza o upload e dispara o processamento',
      procedure: 'media.finalize',
      handle: async ({ body, caller }) => {
        const { video: v } = await caller.media.finalize({ videoId: required(body, 'video_id') });
        return {
          status: 202,
          body: { message: 'Upload finalizado; o processamento foi iniciado.', video: video(v) },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v2/videos/',
      summary: 'Lista todos os vídeos do usuário autenticado',
      procedure: 'media.list',
      handle: async ({ caller, token }) => {
        if (!token) throw new CompatError(401, 'UNAUTHORIZED', message('UNAUTHORIZED'));
        const videos: ReturnType<typeof video>[] = [];
        let cursor = '';
        // Every page: the origin answered all videos in one list.
        do {
          const page = await caller.media.list({ all: false, pageSize: 100, cursor });
          videos.push(...page.videos.map(video));
          cursor = page.nextCursor;
        } while (cursor);
        return { body: videos };
      },
    },
    {
      method: 'GET',
      path: '/api/v2/videos/:video_id',
      summary:
        'Detalhes e análise de um vídeo (frames paginados: siga next_cursor com ?cursor= até complete=true)',
      procedure: 'media.get',
      handle: async (call) => {
        const { video: v } = await call.caller.media.get({ videoId: call.params.video_id! });
        return { body: { ...video(v), analysis: v.state === 'done' ? await analysis(call, v) : null } };
      },
    },
  ],
  error: ({ status, reason, message: said, own }) => ({
    status,
    body: own
      ? { message: said, error: reason }
      : {
          message: message(reason, status >= 500 ? 'Erro interno. Tente novamente.' : undefined),
          error: reason,
          // Guardian's own sentence (English) where no Portuguese one is known.
          ...(MESSAGES[reason] || status >= 500 ? {} : { detail: said }),
        },
  }),
};
