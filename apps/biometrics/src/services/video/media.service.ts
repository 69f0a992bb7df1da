/**
 * Videos as their owners and admins see them: upload (create, append at offsets, finalize), list,
 * read, timeline pages, cancel, delete. The analysis itself is `VideoAnalysis` (analysis.ts), run
 * by whichever replica takes the job's queue message.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { can, type AccessClaims, type Action } from '@guardian/auth';
import { conflict, DomainError, invalid, notFound } from '@guardian/domain';
import { pendingEvent } from '@guardian/events';
import type { DecoderBinaries, VideoFacts } from '../../repositories/video-decoder.js';
import { probeVideo, videoContainer } from '../../repositories/video-decoder.js';
import {
  FINISHED_STATES,
  type StoredFrame,
  type VideoJobRecord,
  type VideoJobRepository,
} from '../../repositories/video-job.repository.js';
import type { VideoStore } from '../../repositories/video-store.js';
import { videoTempDir } from '../../repositories/video-temp.js';

export const DEFAULT_SAMPLE_FPS = 2;
export const MAX_SAMPLE_FPS = 10;
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024;
const MAX_FILE_NAME = 200;

export interface MediaLimits {
  maxBytes: number;
  maxDurationMs: number;
}

export interface MediaServiceDeps {
  jobs: VideoJobRepository;
  store: VideoStore;
  decoder: DecoderBinaries;
  limits: MediaLimits;
  /** CloudEvents source of the events this service queues. */
  source: string;
  probe?: (file: string, bin: DecoderBinaries) => Promise<VideoFacts>;
}

const videoNotFound = () => notFound('VIDEO_NOT_FOUND', 'no such video');

/** A page position as an opaque string (newest-first list: creation time and id). */
const encodeCursor = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (check(value)) return value;
  } catch {
    // answered below
  }
  throw invalid('INVALID_CURSOR', 'the cursor is not one this service gave');
}
const isListCursor = (v: unknown): v is { t: number; id: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { t?: unknown }).t === 'number' &&
  typeof (v as { id?: unknown }).id === 'string';
const isFrameCursor = (v: unknown): v is { f: number } =>
  typeof v === 'object' &&
  v !== null &&
  Number.isInteger((v as { f?: unknown }).f) &&
  (v as { f: number }).f >= 0;

export function pageSize(requested: number, fallback: number, max: number): number {
  if (!requested) return fallback;
  if (!Number.isInteger(requested) || requested < 1 || requested > max)
    throw invalid('INVALID_PAGE_SIZE', `page_size must be 1..${max}`);
  return requested;
}

export class MediaService {
  constructor(private readonly deps: MediaServiceDeps) {}

  /** The video, if this actor may `action` it; VIDEO_NOT_FOUND otherwise (others' videos do not exist). */
  private async owned(actor: AccessClaims, id: string, action: Action): Promise<VideoJobRecord> {
    const job = typeof id === 'string' && id.length <= 64 ? await this.deps.jobs.get(id) : null;
    if (!job || !can({ id: actor.userId, role: actor.role }, action, { id: job.userId }).allowed)
      throw videoNotFound();
    return job;
  }

  async createUpload(
    actor: AccessClaims,
    input: { fileName: string; sizeBytes: number; sampleFps: number },
  ): Promise<VideoJobRecord> {
    const { maxBytes } = this.deps.limits;
    if (!Number.isSafeInteger(input.sizeBytes) || input.sizeBytes <= 0)
      throw invalid('INVALID_SIZE', 'size_bytes must be the whole file size in bytes');
    if (input.sizeBytes > maxBytes)
      throw new DomainError(
        'too_large',
        'PAYLOAD_TOO_LARGE',
        `a video may be at most ${Math.floor(maxBytes / 1024 / 1024)} MiB`,
        { metadata: { maxBytes: String(maxBytes) } },
      );
    const fps = input.sampleFps || DEFAULT_SAMPLE_FPS;
    if (!Number.isFinite(fps) || fps <= 0 || fps > MAX_SAMPLE_FPS)
      throw invalid('INVALID_SAMPLE_RATE', `sample_fps must be above 0 and at most ${MAX_SAMPLE_FPS}`);
    const fileName = (input.fileName || 'video')
      .replace(/[\p{Cc}\p{Cf}]/gu, '')
      .trim()
      .slice(0, MAX_FILE_NAME);
    const now = new Date();
    const record: VideoJobRecord = {
      _id: randomUUID(),
      userId: actor.userId,
      fileName: fileName || 'video',
      state: 'uploading',
      sizeBytes: input.sizeBytes,
      receivedBytes: 0,
      sampleFps: fps,
      container: '',
      durationMs: 0,
      width: 0,
      height: 0,
      framesTotal: 0,
      framesDone: 0,
      checkpoint: '',
      runStartFrame: 0,
      leaseOwner: '',
      failureReason: '',
      tracks: [],
      decoder: '',
      backend: '',
      bytesRetained: true,
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.jobs.create(record);
    return record;
  }

  async append(
    actor: AccessClaims,
    input: { videoId: string; offset: number; chunk: Uint8Array },
  ): Promise<VideoJobRecord> {
    const job = await this.owned(actor, input.videoId, 'media.manage');
    if (job.state !== 'uploading')
      throw conflict('UPLOAD_CLOSED', 'this upload is finalized or cancelled; start a new one');
    if (input.chunk.byteLength === 0) throw invalid('EMPTY_CHUNK', 'the chunk is empty');
    if (input.chunk.byteLength > MAX_CHUNK_BYTES)
      throw new DomainError('too_large', 'PAYLOAD_TOO_LARGE', 'a chunk may be at most 4 MiB');
    const mismatch = (at: number) =>
      new DomainError('conflict', 'UPLOAD_OFFSET_MISMATCH', `the upload stands at byte ${at}`, {
        metadata: { offset: String(at) },
      });
    if (input.offset !== job.receivedBytes) throw mismatch(job.receivedBytes);
    if (input.offset + input.chunk.byteLength > job.sizeBytes)
      throw new DomainError('too_large', 'PAYLOAD_TOO_LARGE', 'more bytes than the declared size');
    await this.deps.store.putPart(job._id, input.offset, input.chunk);
    if (!(await this.deps.jobs.received(job._id, input.offset, input.chunk.byteLength))) {
      const now = await this.deps.jobs.get(job._id);
      if (now?.state !== 'uploading')
        throw conflict('UPLOAD_CLOSED', 'this upload was finalized or cancelled');
      throw mismatch(now.receivedBytes);
    }
    return { ...job, receivedBytes: job.receivedBytes + input.chunk.byteLength };
  }

  /** Checks the complete upload by its bytes and ffprobe, and queues its analysis. */
  async finalize(actor: AccessClaims, videoId: string): Promise<VideoJobRecord> {
    const job = await this.owned(actor, videoId, 'media.manage');
    if (job.state !== 'uploading') {
      if (job.state === 'queued' || job.state === 'processing' || job.state === 'done') return job;
      throw conflict('UPLOAD_CLOSED', `this video is ${job.state}`);
    }
    if (job.receivedBytes < job.sizeBytes)
      throw new DomainError(
        'unprocessable',
        'UPLOAD_INCOMPLETE',
        `${job.receivedBytes} of ${job.sizeBytes} bytes were received; send the rest first`,
        { metadata: { offset: String(job.receivedBytes) } },
      );
    let facts: VideoFacts;
    try {
      if (!videoContainer(await this.deps.store.head(job._id, 16)))
        throw new DomainError(
          'unsupported',
          'UNSUPPORTED_FORMAT',
          'a video must be MP4/MOV, WebM/MKV or AVI',
        );
      facts = await this.withLocalCopy(job, (file) =>
        (this.deps.probe ?? probeVideo)(file, this.deps.decoder),
      );
      if (facts.durationMs > this.deps.limits.maxDurationMs)
        throw new DomainError(
          'unprocessable',
          'VIDEO_TOO_LONG',
          `a video may be at most ${Math.round(this.deps.limits.maxDurationMs / 1000)} s long`,
          { metadata: { maxDurationMs: String(this.deps.limits.maxDurationMs) } },
        );
    } catch (error) {
      // A file that cannot be analysed is refused, and its bytes go: nothing is kept of it.
      if (error instanceof DomainError && error.kind !== 'unavailable') {
        await this.deps.jobs.finish(
          job._id,
          undefined,
          { state: 'failed', failureReason: error.reason, bytesRetained: false },
          [],
        );
        await this.deps.store.remove(job._id);
      }
      throw error;
    }
    const queued = {
      container: facts.format,
      durationMs: facts.durationMs,
      width: facts.width,
      height: facts.height,
      framesTotal: Math.max(1, Math.ceil((facts.durationMs / 1000) * job.sampleFps)),
    };
    const event = pendingEvent(
      'media.video.submitted',
      { jobId: job._id, userId: job.userId },
      { source: this.deps.source, subject: job._id },
    );
    if (!(await this.deps.jobs.queue(job._id, queued, event))) {
      const now = await this.deps.jobs.get(job._id);
      if (!now) throw videoNotFound();
      return now;
    }
    return { ...job, ...queued, state: 'queued' };
  }

  private async withLocalCopy<T>(job: VideoJobRecord, use: (file: string) => Promise<T>): Promise<T> {
    const dir = await videoTempDir();
    try {
      const file = join(dir, 'video');
      await this.deps.store.copyTo(job._id, job.sizeBytes, file);
      return await use(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async list(
    actor: AccessClaims,
    input: { all: boolean; pageSize: number; cursor: string },
  ): Promise<{ videos: VideoJobRecord[]; nextCursor: string }> {
    if (input.all && !can({ id: actor.userId, role: actor.role }, 'media.list_all').allowed)
      throw new DomainError('forbidden', 'PERMISSION_DENIED', "only an admin may list every user's videos");
    const limit = pageSize(input.pageSize, 20, 100);
    const after = input.cursor ? decodeCursor(input.cursor, isListCursor) : undefined;
    const videos = await this.deps.jobs.list(
      input.all ? {} : { userId: actor.userId },
      limit + 1,
      after ? { createdAt: new Date(after.t), id: after.id } : undefined,
    );
    const more = videos.length > limit;
    const page = videos.slice(0, limit);
    const last = page[page.length - 1];
    return {
      videos: page,
      nextCursor: more && last ? encodeCursor({ t: last.createdAt.getTime(), id: last._id }) : '',
    };
  }

  get(actor: AccessClaims, videoId: string): Promise<VideoJobRecord> {
    return this.owned(actor, videoId, 'media.read');
  }

  async timeline(
    actor: AccessClaims,
    input: { videoId: string; cursor: string; pageSize: number },
  ): Promise<{
    frames: StoredFrame[];
    nextCursor: string;
    complete: boolean;
    framesStored: number;
    framesTotal: number;
  }> {
    const job = await this.owned(actor, input.videoId, 'media.read');
    const limit = pageSize(input.pageSize, 100, 500);
    const from = input.cursor ? decodeCursor(input.cursor, isFrameCursor).f : 0;
    const frames =
      from < job.framesDone
        ? await this.deps.jobs.frames(job._id, from, Math.min(limit, job.framesDone - from))
        : [];
    const next = from + frames.length;
    const complete = job.state === 'done' && next >= job.framesDone;
    // While the analysis runs there may be more later; once it ended, nothing follows the last frame.
    const ended = FINISHED_STATES.includes(job.state) && next >= job.framesDone;
    return {
      frames,
      nextCursor: complete || ended ? '' : encodeCursor({ f: next }),
      complete,
      framesStored: job.framesDone,
      framesTotal: job.framesTotal,
    };
  }

  async cancel(actor: AccessClaims, videoId: string): Promise<VideoJobRecord> {
    const job = await this.owned(actor, videoId, 'media.manage');
    if (!(await this.deps.jobs.cancel(job._id)))
      throw conflict('VIDEO_FINISHED', `this video is already ${job.state}`);
    await this.deps.store.remove(job._id);
    return (await this.deps.jobs.get(job._id)) ?? job;
  }

  async remove(actor: AccessClaims, videoId: string): Promise<void> {
    const job = await this.owned(actor, videoId, 'media.manage');
    // A running analysis sees the cancellation and stops before the bytes and results go.
    await this.deps.jobs.cancel(job._id);
    await this.deps.store.remove(job._id);
    await this.deps.jobs.remove(job._id);
  }
}
