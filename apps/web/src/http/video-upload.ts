/**
 * The upload URL `media.initialize` hands out: the bytes of a video, sent without going through
 * tRPC or the REST mirror's JSON bodies. It speaks the core of tus 1.0 (https://tus.io/protocols/resumable-upload):
 *
 * - `HEAD /api/videos/uploads/:videoId` -> `Upload-Offset` (bytes stored) and `Upload-Length`;
 * - `PUT` sends the whole file from byte 0 (a pre-signed-URL client's way);
 * - `PATCH` with `Upload-Offset` and `Content-Type: application/offset+octet-stream` appends the body
 *   there -> 204 with the new `Upload-Offset`; a wrong offset is 409 UPLOAD_OFFSET_MISMATCH with the
 *   right one in `Upload-Offset`.
 *
 * The body is streamed to biometrics in pieces of PIECE_BYTES (never held whole); a connection that
 * drops keeps what arrived, and the client resumes from HEAD's offset. Creation is `media.initialize`
 * (the tus creation extension is not offered), so tus-js-client works with `uploadUrl` set.
 */
import { isDomainError } from '@guardian/domain';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@guardian/domain';
import type { Readable } from 'node:stream';
import { toTRPCError } from '../router/errors.js';
import { callOptions, type Context } from '../router/trpc.js';
import { restError } from './rest.js';

export const UPLOAD_ROUTE = '/api/videos/uploads/:videoId';
export const OFFSET_CONTENT_TYPE = 'application/offset+octet-stream';
/** Bytes per call to biometrics (its limit is 4 MiB a call). */
export const PIECE_BYTES = 1024 * 1024;
const TUS_VERSION = '1.0.0';

type CreateContext = (request: FastifyRequest, reply: FastifyReply) => Context;

/** The caller's context after checking its token; null when the reply was sent (401). */
async function signedIn(request: FastifyRequest, reply: FastifyReply, createContext: CreateContext) {
  const ctx = createContext(request, reply);
  try {
    if (!ctx.accessToken)
      throw new DomainError('unauthenticated', 'UNAUTHENTICATED', 'Please sign in first.');
    await ctx.verifier.verify(ctx.accessToken);
    return ctx;
  } catch (error) {
    const refusal = isDomainError(error)
      ? error
      : new DomainError(
          'unauthenticated',
          'UNAUTHENTICATED',
          'Your session has expired. Please sign in again.',
        );
    await restError(reply, toTRPCError(refusal), request.log);
    return null;
  }
}

function fail(request: FastifyRequest, reply: FastifyReply, error: unknown) {
  if (isDomainError(error) && error.metadata.offset) reply.header('upload-offset', error.metadata.offset);
  return restError(reply, isDomainError(error) ? toTRPCError(error) : error, request.log);
}

/** Streams the request body to biometrics from `offset` in pieces; 204 with the new offset. */
async function receive(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: Context,
  videoId: string,
  offset: number,
) {
  let at = offset;
  const append = async (chunk: Buffer) => {
    await ctx.clients.media.appendUpload({ videoId, offset: at, chunk }, callOptions(ctx));
    at += chunk.length;
  };
  let pending: Buffer[] = [];
  let size = 0;
  try {
    try {
      for await (const data of request.body as Readable) {
        pending.push(data as Buffer);
        size += (data as Buffer).length;
        while (size >= PIECE_BYTES) {
          const joined = Buffer.concat(pending);
          await append(joined.subarray(0, PIECE_BYTES));
          pending = [joined.subarray(PIECE_BYTES)];
          size = joined.length - PIECE_BYTES;
        }
      }
    } catch (error) {
      // The connection dropped: what arrived is kept (below); the client resumes from HEAD.
      request.log.info({ err: error, videoId, at }, 'video upload interrupted');
    }
    if (size > 0) await append(Buffer.concat(pending));
  } catch (error) {
    return fail(request, reply, error);
  }
  return reply.code(204).header('tus-resumable', TUS_VERSION).header('upload-offset', String(at)).send();
}

export async function registerVideoUpload(app: FastifyInstance, createContext: CreateContext): Promise<void> {
  await app.register(async (scope) => {
    // Every body stays a stream here (the handlers pull it piece by piece; PATCH checks its type).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    scope.route({
      method: 'HEAD',
      url: UPLOAD_ROUTE,
      handler: async (request, reply) => {
        const ctx = await signedIn(request, reply, createContext);
        if (!ctx) return reply;
        const { videoId } = request.params as { videoId: string };
        try {
          const { video } = await ctx.clients.media.getVideo({ videoId }, callOptions(ctx));
          return reply
            .code(200)
            .header('tus-resumable', TUS_VERSION)
            .header('upload-offset', String(video!.receivedBytes))
            .header('upload-length', String(video!.sizeBytes))
            .header('cache-control', 'no-store')
            .send();
        } catch (error) {
          return fail(request, reply, error);
        }
      },
    });

    scope.route({
      method: 'PATCH',
      url: UPLOAD_ROUTE,
      handler: async (request, reply) => {
        const ctx = await signedIn(request, reply, createContext);
        if (!ctx) return reply;
        const { videoId } = request.params as { videoId: string };
        if (request.headers['content-type'] !== OFFSET_CONTENT_TYPE)
          return fail(
            request,
            reply,
            new DomainError(
              'unsupported',
              'UNSUPPORTED_MEDIA_TYPE',
              `Send the bytes as ${OFFSET_CONTENT_TYPE}.`,
            ),
          );
        const header = request.headers['upload-offset'];
        const offset = typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : NaN;
        if (!Number.isSafeInteger(offset))
          return fail(
            request,
            reply,
            new DomainError(
              'invalid',
              'INVALID_OFFSET',
              'Upload-Offset must be the number of bytes already sent.',
            ),
          );
        return receive(request, reply, ctx, videoId, offset);
      },
    });

    // The whole file in one request from byte 0, any content type: what clients of pre-signed PUT
    // URLs do (compat profile deepemotion).
    scope.route({
      method: 'PUT',
      url: UPLOAD_ROUTE,
      handler: async (request, reply) => {
        const ctx = await signedIn(request, reply, createContext);
        if (!ctx) return reply;
        return receive(request, reply, ctx, (request.params as { videoId: string }).videoId, 0);
      },
    });
  });
}
