/**
 * One video's analysis, run by whichever replica took the job's queue message (`media.video.submitted`
 * on biometrics' shared durable consumer).
 *
 * 1. Claim the job with a lease (a fresh owner id per run, so even a redelivery to the same process
 *    cannot run it twice); the consumer's heartbeat keeps the message, the runner's keeps the lease.
 * 2. Copy the bytes to a temp file (ffmpeg seeks in MP4) and decode sampled frames as raw RGB through
 *    a pipe, starting at the first frame not yet stored: a job taken over resumes, it does not restart.
 * 3. Keep as many frames in the inference pool as it has workers; link results into tracks in frame
 *    order; every FRAMES_PER_PAGE frames store the page and the tracker's state in a fenced write.
 * 4. Check every CANCEL_POLL_MS that the job is still ours (cancel, delete, takeover): if not, kill
 *    ffmpeg and stop.
 * 5. Store the summary and tracks with `media.video.analyzed` (or `.failed`) in one write; delete the
 *    bytes unless retention is on.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DomainError, isDomainError } from '@guardian/domain';
import { ack, pendingEvent, retry, type Decision, type DeliveryInfo } from '@guardian/events';
import type { Logger } from '@guardian/logger';
import type { AnalyzedFace, Box, RawImage } from '../../repositories/inference/index.js';
import {
  frameSize,
  rawFrames,
  type DecoderBinaries,
  type RawFrame,
} from '../../repositories/video-decoder.js';
import {
  FINISHED_STATES,
  FRAMES_PER_PAGE,
  type StoredFrame,
  type VideoJobRecord,
  type VideoJobRepository,
} from '../../repositories/video-job.repository.js';
import type { VideoStore } from '../../repositories/video-store.js';
import { videoTempDir } from '../../repositories/video-temp.js';
import { frameRow, trackFrame } from './frames.js';
import { emptyTracker, summarizeTrack, summarizeVideo, type TrackerState } from './tracks.js';

export const CANCEL_POLL_MS = 250;

export interface VideoAnalysisDeps {
  jobs: VideoJobRepository;
  store: VideoStore;
  decoder: DecoderBinaries;
  /** ffmpeg's version line and the tfjs backend, recorded on the job. */
  decoderVersion: () => Promise<string>;
  backend: string;
  /** Expressions and descriptors of every face (the inference pool; retried while its queue is full). */
  analyze: (image: RawImage, signal: AbortSignal) => Promise<AnalyzedFace[]>;
  /** Frames kept in the pool at once (its worker count). */
  inFlight: number;
  /** A face's thumbnail: a small JPEG, base64. */
  thumbnail: (frame: RawFrame, box: Box) => Promise<string>;
  leaseMs: number;
  maxDeliver: number;
  maxWidth: number;
  retainBytes: boolean;
  source: string;
  logger: Logger;
}

/** Why a run stopped before the end: not a failure of the job. */
class Stopped extends Error {}

export class VideoAnalysis {
  private readonly replica = `${hostname()}:${process.pid}`;
  private running = 0;

  /** Analyses running in this process now. */
  get active(): number {
    return this.running;
  }

  constructor(private readonly deps: VideoAnalysisDeps) {}

  async run(jobId: string, delivery: DeliveryInfo): Promise<Decision> {
    const { jobs, leaseMs } = this.deps;
    const owner = `${this.replica}:${randomUUID()}`;
    const job = await jobs.claim(jobId, owner, new Date(Date.now() + leaseMs));
    if (!job) {
      const current = await jobs.get(jobId);
      if (!current || current.state === 'uploading' || FINISHED_STATES.includes(current.state)) return ack();
      const wait = (current.leaseUntil ? new Date(current.leaseUntil).getTime() : 0) - Date.now();
      return retry(Math.max(1_000, wait), 'another replica is running this analysis');
    }
    const log = this.deps.logger.child({ videoId: jobId, run: owner });
    const stop = new AbortController();
    let lost = false;
    const watch = setInterval(() => {
      jobs
        .stillOwned(jobId, owner)
        .then((ours) => {
          if (!ours) {
            lost = true;
            stop.abort();
          }
        })
        .catch(() => undefined);
    }, CANCEL_POLL_MS);
    const lease = setInterval(() => {
      void jobs.update(jobId, owner, { leaseUntil: new Date(Date.now() + leaseMs) }).catch(() => undefined);
    }, leaseMs / 3);
    this.running++;
    const dir = await videoTempDir();
    try {
      await this.analyse(job, owner, join(dir, 'video'), stop.signal);
      return ack();
    } catch (error) {
      if (lost || error instanceof Stopped) {
        log.info('analysis stopped: the job was cancelled, deleted or taken over');
        // A video deleted while it ran: a page written after the delete goes too.
        if (!(await jobs.get(jobId))) await jobs.remove(jobId);
        return ack();
      }
      const final = delivery.deliveryCount >= this.deps.maxDeliver;
      if (isDomainError(error) && (error.reason === 'CORRUPT_VIDEO' || final)) {
        await this.fail(job, owner, error.reason);
        return ack();
      }
      if (final) {
        log.error({ err: error }, 'analysis failed on its last delivery');
        await this.fail(job, owner, 'ANALYSIS_FAILED');
        return ack();
      }
      throw error;
    } finally {
      clearInterval(watch);
      clearInterval(lease);
      await rm(dir, { recursive: true, force: true });
      this.running--;
    }
  }

  private async fail(job: VideoJobRecord, owner: string, reason: string): Promise<void> {
    const event = pendingEvent(
      'media.video.failed',
      { jobId: job._id, userId: job.userId, fileName: job.fileName, reason },
      { source: this.deps.source, subject: job._id },
    );
    const retained = this.deps.retainBytes;
    if (
      await this.deps.jobs.finish(
        job._id,
        owner,
        { state: 'failed', failureReason: reason, bytesRetained: retained },
        [event],
      )
    )
      if (!retained) await this.deps.store.remove(job._id);
  }

  private async analyse(
    job: VideoJobRecord,
    owner: string,
    file: string,
    signal: AbortSignal,
  ): Promise<void> {
    const { jobs, store, decoder } = this.deps;
    const fenced = async (fields: Parameters<VideoJobRepository['update']>[2]) => {
      if (!(await jobs.update(job._id, owner, fields))) throw new Stopped();
    };
    await store.copyTo(job._id, job.sizeBytes, file);
    const size = frameSize(job, this.deps.maxWidth);
    const scale = job.width / size.width;
    const tracker: TrackerState = job.checkpoint
      ? (JSON.parse(job.checkpoint) as TrackerState)
      : emptyTracker();
    const start = job.framesDone;
    if (start > 0)
      this.deps.logger.info({ videoId: job._id, frame: start }, 'analysis resumed from its last stored page');
    await fenced({
      runStartedAt: new Date(),
      runStartFrame: start,
      decoder: await this.deps.decoderVersion(),
      backend: this.deps.backend,
    });

    let page: StoredFrame[] = [];
    let pageNo = start / FRAMES_PER_PAGE;
    const flush = async (framesDone: number) => {
      await jobs.putPage(job._id, pageNo, page);
      await fenced({
        framesDone,
        checkpoint: JSON.stringify(tracker),
        leaseUntil: new Date(Date.now() + this.deps.leaseMs),
      });
      pageNo++;
      page = [];
    };
    const commit = async (frame: RawFrame, found: Promise<AnalyzedFace[]>) => {
      const faces = await found;
      if (signal.aborted) throw new Stopped();
      const ids = await trackFrame(tracker, frame, faces, this.deps.thumbnail);
      page.push(frameRow(frame, faces, ids, scale));
      if (page.length === FRAMES_PER_PAGE) await flush(frame.index + 1);
    };

    const pending: Array<{ frame: RawFrame; found: Promise<AnalyzedFace[]> }> = [];
    let next = start;
    for await (const frame of rawFrames(
      file,
      decoder,
      { fps: job.sampleFps, startIndex: start, ...size },
      signal,
    )) {
      // The analyzer sends the pool a copy: the frame keeps its pixels for thumbnails.
      const found = this.deps.analyze(frame, signal);
      found.catch(() => undefined); // awaited in order below; never an unhandled rejection meanwhile
      pending.push({ frame, found });
      next = frame.index + 1;
      if (pending.length >= this.deps.inFlight) {
        const head = pending.shift()!;
        await commit(head.frame, head.found);
      }
    }
    if (signal.aborted) throw new Stopped();
    for (const item of pending) await commit(item.frame, item.found);
    if (page.length) await flush(next);
    if (next === 0) throw new DomainError('unprocessable', 'CORRUPT_VIDEO', 'no frame could be decoded');

    const summary = summarizeVideo(tracker, job.sampleFps);
    const tracks = tracker.tracks.map(summarizeTrack);
    const event = pendingEvent(
      'media.video.analyzed',
      {
        jobId: job._id,
        userId: job.userId,
        status: 'succeeded',
        dominantExpression: summary.dominantExpression,
        framesAnalyzed: next,
        error: '',
        fileName: job.fileName,
        durationMs: job.durationMs,
        people: summary.people,
      },
      { source: this.deps.source, subject: job._id },
    );
    const retained = this.deps.retainBytes;
    const done = await jobs.finish(
      job._id,
      owner,
      {
        state: 'done',
        summary: { ...summary, framesAnalyzed: next },
        tracks,
        framesDone: next,
        framesTotal: next,
        bytesRetained: retained,
      },
      [event],
    );
    if (!done) throw new Stopped();
    if (!retained) await store.remove(job._id);
  }
}
