import { implement, type HandlerDeps } from '@guardian/grpc-kit';
import {
  MediaServiceService,
  type MediaServiceServer,
  type Video,
} from '@guardian/proto/gen/guardian/biometrics/v1/media';
import type { VideoJobRecord } from '../repositories/video-job.repository.js';
import type { MediaService } from '../services/video/media.service.js';

export interface MediaGrpcDeps extends HandlerDeps {
  media: MediaService;
}

/** Time left from the current run's pace (0 until a page of it is stored). */
export function etaMs(job: VideoJobRecord, now = Date.now()): number {
  const done = job.framesDone - job.runStartFrame;
  if (job.state !== 'processing' || !job.runStartedAt || done <= 0) return 0;
  const perFrame = (now - new Date(job.runStartedAt).getTime()) / done;
  return Math.max(0, Math.round(perFrame * (job.framesTotal - job.framesDone)));
}

export function toVideo(job: VideoJobRecord): Video {
  const total = job.framesTotal;
  const percent = job.state === 'done' ? 100 : total > 0 ? Math.min(99.9, (100 * job.framesDone) / total) : 0;
  return {
    id: job._id,
    userId: job.userId,
    fileName: job.fileName,
    state: job.state,
    sizeBytes: job.sizeBytes,
    receivedBytes: job.receivedBytes,
    container: job.container,
    durationMs: job.durationMs,
    width: job.width,
    height: job.height,
    sampleFps: job.sampleFps,
    progress: {
      percent: Math.round(percent * 10) / 10,
      framesDone: job.framesDone,
      framesTotal: total,
      etaMs: etaMs(job),
    },
    failureReason: job.failureReason,
    ...(job.summary ? { summary: job.summary } : {}),
    tracks: (job.tracks ?? []).map((t) => ({
      id: t.id,
      firstMs: t.firstMs,
      lastMs: t.lastMs,
      frames: t.frames,
      dominantExpression: t.dominantExpression,
      dominantShare: t.dominantShare,
      mean: t.mean,
      bestFrameMs: t.bestFrameMs,
      thumbnailJpeg: Buffer.from(t.thumbnail ?? '', 'base64'),
    })),
    createdAt: new Date(job.createdAt),
    updatedAt: new Date(job.updatedAt),
    ...(job.finishedAt ? { finishedAt: new Date(job.finishedAt) } : {}),
    decoder: job.decoder,
    backend: job.backend,
    bytesRetained: job.bytesRetained,
  };
}

/** biometrics.v1.MediaService: translates gRPC calls to the media service. */
export function mediaGrpc(deps: MediaGrpcDeps) {
  const { media } = deps;
  return {
    name: 'guardian.biometrics.v1.MediaService',
    definition: MediaServiceService,
    implementation: implement<MediaServiceServer>(
      MediaServiceService,
      {
        createUpload: async (req, ctx) => ({
          video: toVideo(
            await media.createUpload(await ctx.auth(), {
              fileName: req.fileName,
              sizeBytes: req.sizeBytes,
              sampleFps: req.sampleFps,
            }),
          ),
        }),
        appendUpload: async (req, ctx) => {
          const job = await media.append(await ctx.auth(), {
            videoId: req.videoId,
            offset: req.offset,
            chunk: req.chunk,
          });
          return { receivedBytes: job.receivedBytes, sizeBytes: job.sizeBytes };
        },
        finalizeUpload: async (req, ctx) => ({
          video: toVideo(await media.finalize(await ctx.auth(), req.videoId)),
        }),
        listVideos: async (req, ctx) => {
          const page = await media.list(await ctx.auth(), {
            all: req.all,
            pageSize: req.pageSize,
            cursor: req.cursor,
          });
          return { videos: page.videos.map(toVideo), nextCursor: page.nextCursor };
        },
        getVideo: async (req, ctx) => ({ video: toVideo(await media.get(await ctx.auth(), req.videoId)) }),
        getTimeline: async (req, ctx) => {
          const page = await media.timeline(await ctx.auth(), {
            videoId: req.videoId,
            cursor: req.cursor,
            pageSize: req.pageSize,
          });
          return {
            frames: page.frames.map((f) => ({ tMs: f.tMs, faces: f.faces })),
            nextCursor: page.nextCursor,
            complete: page.complete,
            framesStored: page.framesStored,
            framesTotal: page.framesTotal,
          };
        },
        cancelVideo: async (req, ctx) => ({
          video: toVideo(await media.cancel(await ctx.auth(), req.videoId)),
        }),
        deleteVideo: async (req, ctx) => {
          await media.remove(await ctx.auth(), req.videoId);
          return {};
        },
      },
      deps,
    ),
  };
}
