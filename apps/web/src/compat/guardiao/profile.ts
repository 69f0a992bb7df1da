/** Origin 001 (`../shared/origins/001-*`): see ./README.md for every call and how Guardian answers it. */
import { createHash } from 'node:crypto';
import {
  answeringWith,
  CompatError,
  refusalOf,
  type Body,
  type Caller,
  type CompatAnswer,
  type CompatCall,
  type CompatProfile,
  type CompatRoute,
} from '../kit.js';
import { failure, success, translate, SUCCESS, VALIDATION, type Operation } from './messages.js';

/** The document's base URL (below the profile's prefix). */
const BASE = '/api/verificacao';

type Liveness = Parameters<Caller['auth']['faceLogin']>[0]['liveness'];
type Rectangle = { left: number; top: number; width: number; height: number } | undefined;
type Status = Awaited<ReturnType<Caller['verification']['status']>>['status'];
type User = Awaited<ReturnType<Caller['admin']['verifiedUsers']>>['users'][number];

/** Runs a call and answers its refusals in the origin's words, for this operation. */
const answering = (operation: Operation | undefined, run: () => Promise<CompatAnswer>) =>
  answeringWith((refusal) => failure(refusal.own ? refusal : translate(refusal, operation)), run);

/** One of the document's rows for `operation`, raised by the profile itself. */
const row = (operation: Operation, status: number, reason: string) =>
  new CompatError(status, reason, translate({ status, reason, message: '' }, operation).message);

/**
 * The photo of a call: `foto_base64` as the document sends it or, for clients that follow
 * Guardian's liveness policy, a `liveness` capture (see README).
 */
function faceOf(body: Body): { image: string } | { liveness: Liveness } {
  if (body.liveness !== undefined) return { liveness: body.liveness as Liveness };
  const photo = body.foto_base64;
  if (typeof photo !== 'string' || photo === '')
    throw new CompatError(400, 'IMAGE_REQUIRED', VALIDATION.photo);
  return { image: photo };
}

/**
 * Guardian keeps no Face++ `face_token`: this is an opaque 32-hex digest of what names the face
 * here (the template version, or the photo), so the field keeps its shape. It cannot be sent back.
 */
const faceToken = (...parts: unknown[]) =>
  createHash('sha256').update(parts.map(String).join('\n')).digest('hex').slice(0, 32);

const rectangle = (face: Rectangle) =>
  face ? { top: face.top, left: face.left, width: face.width, height: face.height } : null;

/** Face++ shows scores with three decimals. */
const round3 = (value: number | undefined) => Math.round((value ?? 0) * 1000) / 1000;

const DOCUMENT_STATUS: Record<string, string> = {
  pending: 'Pendente',
  approved: 'Aprovado',
  rejected: 'Rejeitado',
};

function verificationOf(status: Status) {
  const counts = status.counts;
  return {
    usuario: {
      id: status.userId,
      nome_completo: status.fullName,
      email: status.email,
      perfil_verificado: status.verified,
    },
    documentos: {
      total: counts?.total ?? 0,
      pendentes: counts?.pending ?? 0,
      aprovados: counts?.approved ?? 0,
      rejeitados: counts?.rejected ?? 0,
      lista: status.documents.map((d) => ({
        id: d.id,
        tipo: d.type,
        status: DOCUMENT_STATUS[d.status] ?? d.status,
        nome_arquivo: d.fileName,
        data_envio: d.submittedAt ?? null,
        data_revisao: d.reviewedAt ?? null,
        motivo_rejeicao: d.reviewReason || null,
      })),
    },
    biometria_facial: {
      cadastrada: status.biometric?.enrolled ?? false,
      data_cadastro: status.biometric?.enrolledAt ?? null,
    },
    pode_usar_sistema: status.canUseSystem,
  };
}

const userOf = (user: User) => ({
  id: user.id,
  nome_completo: user.fullName,
  email: user.email,
  perfil_verificado: user.verified,
  tem_biometria_facial: user.faceEnrolled,
});

/** `?limite=&proxima_pagina=` as Guardian's page (the procedure checks the numbers). */
const pageOf = (query: Record<string, string>) => ({
  ...(query.limite !== undefined ? { pageSize: Number(query.limite) } : {}),
  pageToken: query.proxima_pagina ?? '',
});

const list =
  (procedure: 'verifiedUsers' | 'pendingUsers') =>
  (call: CompatCall): Promise<CompatAnswer> =>
    answering(undefined, async () => {
      const page = await call.caller.admin[procedure](pageOf(call.query));
      return success(SUCCESS.done, {
        usuarios: page.users.map(userOf),
        proxima_pagina: page.nextPageToken || null,
      });
    });

const routes: CompatRoute[] = [
  {
    method: 'POST',
    path: `${BASE}/usuario/:id/biometria`,
    summary: '§2.1 Cadastrar ou atualizar biometria facial (`foto_base64`)',
    procedure: 'biometrics.enroll',
    handle: (call) =>
      answering('cadastrar', async () => {
        const face = faceOf(call.body);
        const result = await call.caller.biometrics.enroll({
          userId: call.params.id!,
          ...('image' in face ? { images: [face.image] } : face),
        });
        const enrollment = result.enrollment!;
        return success(
          // The document words a replacement as it words a first enrollment (only the status differs).
          SUCCESS.enrolled,
          {
            // One template per user: the user id names the record.
            id: enrollment.userId,
            usuario_id: enrollment.userId,
            face_token: faceToken(enrollment.userId, enrollment.modelId, enrollment.updatedAt),
            face_rectangle: rectangle(result.faces[0]),
          },
          result.created ? 201 : 200,
        );
      }),
  },
  {
    method: 'POST',
    path: `${BASE}/usuario/:id/biometria/autenticar`,
    summary:
      '§2.2 Autenticar por biometria facial (`foto_base64`): a face sign-in of that user; e-mails on success and failure',
    procedure: 'auth.faceLogin',
    handle: (call) =>
      answering('autenticar', async () => {
        // Every call of the module needs a signed-in caller (§1).
        await call.caller.auth.whoami();
        const face = faceOf(call.body);
        const userId = call.params.id!;
        // The document's 404 when the user has no face, for callers allowed to read that (the user,
        // an admin); anyone else gets the face sign-in's one answer for every failure.
        const enrollment = await call.caller.biometrics.status({ userId }).catch((error: unknown) => {
          if (refusalOf(error).status === 403) return undefined;
          throw error;
        });
        if (enrollment && !enrollment.enrolled) throw row('autenticar', 404, 'NOT_ENROLLED');
        const result = await call.caller.auth.faceLogin({ userId, ...face, session: 'token' });
        if (result.mode !== 'token') throw new Error('face sign-in answered without tokens');
        return success(SUCCESS.authenticated, {
          autenticado: true,
          confianca: round3(result.confidence),
          usuario_id: result.user.id,
          // Guardian's face sign-in opens a session: its tokens, for clients that want them.
          token: result.accessToken,
          token_expira_em: result.accessTokenExpiresAt,
          refresh_token: result.refreshToken,
        });
      }),
  },
  {
    method: 'GET',
    path: `${BASE}/usuario/:id/biometria`,
    summary: '§2.3 Verificar biometria facial',
    procedure: 'biometrics.status',
    handle: (call) =>
      answering(undefined, async () => {
        const result = await call.caller.biometrics.status({ userId: call.params.id! });
        return success(SUCCESS.done, {
          tem_biometria_facial: result.enrolled,
          data_cadastro: result.enrollment?.createdAt ?? null,
          data_atualizacao: result.enrollment?.updatedAt ?? null,
        });
      }),
  },
  {
    method: 'DELETE',
    path: `${BASE}/usuario/:id/biometria`,
    summary: '§2.4 Remover biometria facial',
    procedure: 'biometrics.remove',
    handle: (call) =>
      answering('remover', async () => {
        const { deleted } = await call.caller.biometrics.remove({ userId: call.params.id! });
        if (!deleted) throw row('remover', 404, 'NOT_ENROLLED');
        return success(SUCCESS.removed, null);
      }),
  },
  {
    method: 'POST',
    path: `${BASE}/comparar-fotos`,
    summary:
      '§2.5 Comparar duas fotos (`foto_base64_1`, `foto_base64_2`), with the FMR 1e-3/1e-4/1e-5 thresholds',
    procedure: 'biometrics.compare',
    handle: (call) =>
      answering(undefined, async () => {
        const { foto_base64_1: first, foto_base64_2: second } = call.body;
        if (typeof first !== 'string' || !first || typeof second !== 'string' || !second)
          throw new CompatError(400, 'IMAGE_REQUIRED', VALIDATION.photos);
        const result = await call.caller.biometrics.compare({ image1: first, image2: second });
        return success(result.samePerson ? SUCCESS.samePerson : SUCCESS.differentPeople, {
          mesma_pessoa: result.samePerson,
          confianca: round3(result.confidence),
          thresholds: {
            '1e-3': round3(result.thresholds?.fmr1e3),
            '1e-4': round3(result.thresholds?.fmr1e4),
            '1e-5': round3(result.thresholds?.fmr1e5),
          },
          face1: { face_token: faceToken('face', first), face_rectangle: rectangle(result.face1) },
          face2: { face_token: faceToken('face', second), face_rectangle: rectangle(result.face2) },
        });
      }),
  },
  {
    method: 'GET',
    path: `${BASE}/usuario/:id/status`,
    summary: '§2.6 Status de verificação do usuário (yours; admins: anyone they manage)',
    procedure: 'verification.status',
    handle: (call) =>
      answering(undefined, async () => {
        const userId = call.params.id!;
        const { userId: self } = await call.caller.auth.whoami();
        // Your own status through the user procedure; anyone else's through the admin one, which
        // refuses callers who are not admins.
        const status =
          userId === self
            ? (await call.caller.verification.status()).status
            : (await call.caller.admin.users.get({ userId })).verification;
        if (!status)
          throw new CompatError(
            503,
            'UNAVAILABLE',
            translate({ status: 503, reason: '', message: '' }).message,
          );
        return success(SUCCESS.done, verificationOf(status));
      }),
  },
  {
    method: 'GET',
    path: `${BASE}/usuarios/verificados`,
    summary: '§2.7 Listar usuários verificados (admins; `limite`, `proxima_pagina`)',
    procedure: 'admin.verifiedUsers',
    handle: list('verifiedUsers'),
  },
  {
    method: 'GET',
    path: `${BASE}/usuarios/pendentes`,
    summary: '§2.8 Listar usuários com documentos pendentes (admins; `limite`, `proxima_pagina`)',
    procedure: 'admin.pendingUsers',
    handle: list('pendingUsers'),
  },
];

export const guardiaoProfile: CompatProfile = {
  name: 'guardiao',
  title: 'Guardião biometrics API (001, pt-BR)',
  auth: 'bearer',
  routes,
  error: (refusal) => failure(translate(refusal)),
};
