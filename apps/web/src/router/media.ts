/**
 * Video expression analysis (biometrics' MediaService): initialize an upload, send its bytes to the
 * upload URL (http/video-upload.ts: tus 1.0 core, offset-checked, resumable), finalize, then follow
 * the job (list, get, progress over SSE), read the per-frame timeline page by page, cancel, delete.
 */
import { z } from 'zod';
import { json } from './json.js';
import { callOptions, protectedProcedure, router, streamLifetime } from './trpc.js';

/** Where a video's bytes are sent (PATCH, HEAD: http/video-upload.ts). */
export const uploadUrl = (videoId: string) => `/api/videos/uploads/${encodeURIComponent(videoId)}`;

const videoId = z.string().min(1).max(64).describe('the video id initialize gave');
const byId = z.object({ videoId });
const FINISHED = new Set(['done', 'failed', 'cancelled']);
/** How often a progress stream looks at the job (the job stores progress once per page of frames). */
export const PROGRESS_POLL_MS = 500;

export const mediaRouter = router({
  initialize: protectedProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/videos/upload/initialize',
        summary:
          'Start a video upload: declare its size; send the bytes to `uploadUrl` (PATCH with Upload-Offset, tus 1.0 core), then finalize',
        tag: 'videos',
        status: 201,
      },
    })
    .meta({ rateLimit: 'upload' })
    .input(
      z.object({
        fileName: z.string().max(200).default(''),
        sizeBytes: z.number().int().positive().describe('the whole file, in bytes'),
        sampleFps: z.number().gt(0).max(10).optional().describe('frames analysed per second (default 2)'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { video } = await ctx.clients.media.createUpload(
        { fileName: input.fileName, sizeBytes: input.sizeBytes, sampleFps: input.sampleFps ?? 0 },
        callOptions(ctx),
      );
      return { video: json(video!), uploadUrl: uploadUrl(video!.id) };
    }),

  finalize: protectedProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/videos/upload/finalize',
        summary: 'Check the uploaded video (container, duration) and queue its analysis',
        tag: 'videos',
      },
    })
    .meta({ rateLimit: 'upload' })
    .input(byId)
    .mutation(async ({ ctx, input }) => {
      const { video } = await ctx.clients.media.finalizeUpload(input, callOptions(ctx));
      return { video: json(video!) };
    }),

  list: protectedProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/videos',
        summary: 'Your videos, newest first (admins: `all=true` for every user; pageSize, cursor)',
        tag: 'videos',
      },
    })
    .input(
      z
        .object({
          all: z.boolean().default(false),
          pageSize: z.number().int().min(1).max(100).optional(),
          cursor: z.string().max(512).default(''),
        })
        .optional(),
    )
    .query(async ({ ctx, input }) => {
      const page = await ctx.clients.media.listVideos(
        { all: input?.all ?? false, pageSize: input?.pageSize ?? 0, cursor: input?.cursor ?? '' },
        callOptions(ctx),
      );
      return { videos: json(page.videos), nextCursor: page.nextCursor };
    }),

  get: protectedProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/videos/:videoId',
        summary: 'One video: state, progress, summary and face tracks',
        tag: 'videos',
      },
    })
    .input(byId)
    .query(async ({ ctx, input }) => {
      const { video } = await ctx.clients.media.getVideo(input, callOptions(ctx));
      return { video: json(video!) };
    }),

  timeline: protectedProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/videos/:videoId/timeline',
        summary:
          'Per-frame faces and expression scores, one page at a time: follow `nextCursor` until `complete` is true',
        tag: 'videos',
      },
    })
    .input(
      byId.extend({
        cursor: z.string().max(512).default(''),
        pageSize: z.number().int().min(1).max(500).optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const page = await ctx.clients.media.getTimeline(
        { videoId: input.videoId, cursor: input.cursor, pageSize: input.pageSize ?? 0 },
        callOptions(ctx),
      );
      return json(page);
    }),

  cancel: protectedProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/videos/:videoId/cancel',
        summary: 'Stop an upload or analysis that has not ended',
        tag: 'videos',
      },
    })
    .input(byId)
    .mutation(async ({ ctx, input }) => {
      const { video } = await ctx.clients.media.cancelVideo(input, callOptions(ctx));
      return { video: json(video!) };
    }),

  delete: protectedProcedure
    .meta({
      rest: {
        method: 'DELETE',
        path: '/api/videos/:videoId',
        summary: 'Delete a video: its bytes, its results and its job',
        tag: 'videos',
      },
    })
    .input(byId)
    .mutation(async ({ ctx, input }) => {
      await ctx.clients.media.deleteVideo(input, callOptions(ctx));
      return {};
    }),

  /** The video each time its state or progress changes, until it ends (SSE). */
  progress: protectedProcedure
    .meta({ noRest: 'a subscription (server-sent events): /trpc/media.progress' })
    .input(byId)
    .subscription(async function* ({ ctx, input, signal }) {
      const lifetime = streamLifetime(ctx, signal);
      try {
        let last = '';
        while (!lifetime.signal.aborted) {
          const { video } = await ctx.clients.media.getVideo(input, callOptions(ctx, lifetime.signal));
          const seen = `${video!.state}:${video!.progress?.framesDone}:${video!.receivedBytes}`;
          if (seen !== last) {
            last = seen;
            yield { video: json(video!) };
          }
          if (FINISHED.has(video!.state)) return;
          await new Promise((resolve) => setTimeout(resolve, PROGRESS_POLL_MS));
        }
      } finally {
        lifetime.end();
      }
    }),
});
