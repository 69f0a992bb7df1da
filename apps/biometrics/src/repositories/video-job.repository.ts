/**
 * `video_jobs`: one document per video (its upload, its analysis job and its summary), and
 * `video_frames`: the per-frame results in pages of FRAMES_PER_PAGE, keyed `<videoId>:<page>` so a
 * page written twice (a job resumed on another replica) replaces itself instead of doubling.
 *
 * A running analysis holds a lease (`leaseOwner`, `leaseUntil`); every write of the runner is fenced
 * by it, so a replica that lost its job (cancelled, deleted, taken over) cannot write into it.
 */
import { announceNothing, pendingEventsField, type Announce, type PendingEvent } from '@guardian/events';
import { Schema, type Connection, type Model } from 'mongoose';

export const FRAMES_PER_PAGE = 25;

export const VIDEO_STATES = ['uploading', 'queued', 'processing', 'done', 'failed', 'cancelled'] as const;
export type VideoState = (typeof VIDEO_STATES)[number];
export const FINISHED_STATES: readonly VideoState[] = ['done', 'failed', 'cancelled'];

export interface StoredScores {
  neutral: number;
  happy: number;
  sad: number;
  angry: number;
  fearful: number;
  disgusted: number;
  surprised: number;
}

export interface StoredTrack {
  id: number;
  firstMs: number;
  lastMs: number;
  frames: number;
  dominantExpression: string;
  dominantShare: number;
  mean: StoredScores;
  bestFrameMs: number;
  thumbnail: string;
}

export interface StoredSummary {
  dominantExpression: string;
  distribution: StoredScores;
  secondsWithoutFace: number;
  people: number;
  framesAnalyzed: number;
}

export interface VideoJobRecord {
  _id: string;
  userId: string;
  fileName: string;
  state: VideoState;
  sizeBytes: number;
  receivedBytes: number;
  sampleFps: number;
  container: string;
  durationMs: number;
  width: number;
  height: number;
  framesTotal: number;
  /** Frames whose results are stored (always a whole number of pages while running). */
  framesDone: number;
  /** The tracker's state after `framesDone` frames (JSON), for a replica that takes over. */
  checkpoint: string;
  /** When the current run started and at which frame: the ETA's basis. */
  runStartedAt?: Date;
  runStartFrame: number;
  leaseOwner: string;
  leaseUntil?: Date;
  failureReason: string;
  summary?: StoredSummary;
  tracks: StoredTrack[];
  decoder: string;
  backend: string;
  bytesRetained: boolean;
  createdAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
  pendingEvents?: PendingEvent[];
}

const scores = {
  _id: false,
  neutral: Number,
  happy: Number,
  sad: Number,
  angry: Number,
  fearful: Number,
  disgusted: Number,
  surprised: Number,
};

const jobSchema = new Schema<VideoJobRecord>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    fileName: { type: String, default: '' },
    state: { type: String, enum: VIDEO_STATES, required: true },
    sizeBytes: { type: Number, required: true },
    receivedBytes: { type: Number, default: 0 },
    sampleFps: { type: Number, required: true },
    container: { type: String, default: '' },
    durationMs: { type: Number, default: 0 },
    width: { type: Number, default: 0 },
    height: { type: Number, default: 0 },
    framesTotal: { type: Number, default: 0 },
    framesDone: { type: Number, default: 0 },
    checkpoint: { type: String, default: '' },
    runStartedAt: { type: Date },
    runStartFrame: { type: Number, default: 0 },
    leaseOwner: { type: String, default: '' },
    leaseUntil: { type: Date },
    failureReason: { type: String, default: '' },
    summary: {
      type: {
        _id: false,
        dominantExpression: String,
        distribution: scores,
        secondsWithoutFace: Number,
        people: Number,
        framesAnalyzed: Number,
      },
    },
    tracks: {
      type: [
        {
          _id: false,
          id: Number,
          firstMs: Number,
          lastMs: Number,
          frames: Number,
          dominantExpression: String,
          dominantShare: Number,
          mean: scores,
          bestFrameMs: Number,
          thumbnail: String,
        },
      ],
      default: [],
    },
    decoder: { type: String, default: '' },
    backend: { type: String, default: '' },
    bytesRetained: { type: Boolean, default: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    finishedAt: { type: Date },
    pendingEvents: pendingEventsField,
  },
  { collection: 'video_jobs', versionKey: false },
);
jobSchema.index({ userId: 1, createdAt: -1 });
jobSchema.index({ createdAt: -1 });

/** One stored frame: its index, time and faces (box, score, scores, track). */
export interface StoredFrame {
  index: number;
  tMs: number;
  faces: Array<{
    trackId: number;
    score: number;
    box: { x: number; y: number; width: number; height: number };
    expressions: StoredScores;
    dominantExpression: string;
  }>;
}

interface FramePageRecord {
  _id: string;
  videoId: string;
  page: number;
  /** The page's frames as JSON (one string: no nested arrays for the document store). */
  frames: string;
}

const pageSchema = new Schema<FramePageRecord>(
  {
    _id: { type: String, required: true },
    videoId: { type: String, required: true },
    page: { type: Number, required: true },
    frames: { type: String, required: true },
  },
  { collection: 'video_frames', versionKey: false },
);
pageSchema.index({ videoId: 1, page: 1 });

export type VideoJobModel = Model<VideoJobRecord>;
type FramePageModel = Model<FramePageRecord>;

export const videoJobModel = (connection: Connection): VideoJobModel =>
  (connection.models.VideoJob as VideoJobModel | undefined) ??
  connection.model<VideoJobRecord>('VideoJob', jobSchema);
const framePageModel = (connection: Connection): FramePageModel =>
  (connection.models.VideoFramePage as FramePageModel | undefined) ??
  connection.model<FramePageRecord>('VideoFramePage', pageSchema);

const pageId = (videoId: string, page: number) => `${videoId}:${String(page).padStart(7, '0')}`;

/** What a runner may write while it holds the lease. */
export type RunUpdate = Partial<
  Pick<
    VideoJobRecord,
    'framesDone' | 'framesTotal' | 'checkpoint' | 'leaseUntil' | 'decoder' | 'backend' | 'bytesRetained'
  >
>;

export class VideoJobRepository {
  readonly pages: FramePageModel;

  constructor(
    readonly model: VideoJobModel,
    connection: Connection,
    private readonly announce: Announce = announceNothing,
  ) {
    this.pages = framePageModel(connection);
  }

  async create(record: VideoJobRecord): Promise<void> {
    await this.model.collection.insertOne(record as never);
  }

  get(id: string): Promise<VideoJobRecord | null> {
    return this.model.findById(id).lean<VideoJobRecord>().exec();
  }

  /** Newest first; `after` is the last item of the previous page. */
  list(filter: { userId?: string }, limit: number, after?: { createdAt: Date; id: string }) {
    const query: Record<string, unknown> = { ...filter };
    if (after)
      query.$or = [
        { createdAt: { $lt: after.createdAt } },
        { createdAt: after.createdAt, _id: { $lt: after.id } },
      ];
    return this.model
      .find(query, { checkpoint: 0, tracks: 0, pendingEvents: 0 })
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit)
      .lean<VideoJobRecord[]>()
      .exec();
  }

  /** Counts `length` more bytes received, if `offset` is where the upload stands (else false). */
  async received(id: string, offset: number, length: number): Promise<boolean> {
    const result = await this.model.collection.updateOne(
      { _id: id, state: 'uploading', receivedBytes: offset } as never,
      { $inc: { receivedBytes: length }, $set: { updatedAt: new Date() } },
    );
    return result.modifiedCount === 1;
  }

  /** An uploaded video becomes a queued job, with the event that is its queue message. */
  async queue(
    id: string,
    facts: Pick<VideoJobRecord, 'container' | 'durationMs' | 'width' | 'height' | 'framesTotal'>,
    event: PendingEvent,
  ): Promise<boolean> {
    const result = await this.model.collection.updateOne({ _id: id, state: 'uploading' } as never, {
      $set: { ...facts, state: 'queued', updatedAt: new Date(), pendingEvents: [event] },
    });
    if (result.modifiedCount !== 1) return false;
    this.announce({ collection: this.model.collection.collectionName, ids: [id], events: [event] });
    return true;
  }

  /**
   * Takes the job for `owner` (one run) until `leaseUntil`: when it is queued, or processing under a
   * lease that ran out (its replica died). Null when someone else holds it or it ended.
   */
  async claim(id: string, owner: string, leaseUntil: Date, now = new Date()): Promise<VideoJobRecord | null> {
    // The driver's call: the document store has no projection in findAndModify (mongoose adds one).
    return (await this.model.collection.findOneAndUpdate(
      {
        _id: id,
        $or: [{ state: 'queued' }, { state: 'processing', leaseUntil: { $lt: now } }],
      } as never,
      { $set: { state: 'processing', leaseOwner: owner, leaseUntil, updatedAt: now } },
      { returnDocument: 'after' },
    )) as unknown as VideoJobRecord | null;
  }

  /** A runner's write, fenced by its lease; false when the job is no longer its own. */
  async update(
    id: string,
    owner: string,
    fields: RunUpdate & { runStartedAt?: Date; runStartFrame?: number },
  ) {
    const result = await this.model.collection.updateOne(
      { _id: id, state: 'processing', leaseOwner: owner } as never,
      { $set: { ...fields, updatedAt: new Date() } },
    );
    return result.matchedCount === 1;
  }

  /** Is the job still this runner's (cheap: state and lease only)? */
  async stillOwned(id: string, owner: string): Promise<boolean> {
    const doc = await this.model
      .findById(id, { state: 1, leaseOwner: 1 })
      .lean<Pick<VideoJobRecord, 'state' | 'leaseOwner'>>()
      .exec();
    return doc?.state === 'processing' && doc.leaseOwner === owner;
  }

  /** Ends the job (done or failed) with its event; fenced by the lease when `owner` is given. */
  async finish(
    id: string,
    owner: string | undefined,
    fields: Partial<VideoJobRecord> & { state: 'done' | 'failed' },
    events: PendingEvent[],
  ): Promise<boolean> {
    const now = new Date();
    const filter = owner
      ? { _id: id, state: 'processing', leaseOwner: owner }
      : { _id: id, state: { $in: ['uploading', 'queued', 'processing'] } };
    const result = await this.model.collection.updateOne(filter as never, {
      $set: {
        ...fields,
        leaseOwner: '',
        checkpoint: '',
        updatedAt: now,
        finishedAt: now,
        ...(events.length ? { pendingEvents: events } : {}),
      },
    });
    if (result.modifiedCount !== 1) return false;
    if (events.length) this.announce({ collection: this.model.collection.collectionName, ids: [id], events });
    return true;
  }

  /** Cancels an upload or analysis that has not ended; false when it had. */
  async cancel(id: string): Promise<boolean> {
    const now = new Date();
    const result = await this.model.collection.updateOne(
      { _id: id, state: { $in: ['uploading', 'queued', 'processing'] } } as never,
      { $set: { state: 'cancelled', leaseOwner: '', checkpoint: '', updatedAt: now, finishedAt: now } },
    );
    return result.modifiedCount === 1;
  }

  async remove(id: string): Promise<void> {
    await this.pages.deleteMany({ videoId: id }).exec();
    // Events not yet published go with it: nobody is told about a video that no longer exists.
    await this.model.deleteOne({ _id: id }).exec();
  }

  async putPage(videoId: string, page: number, frames: StoredFrame[]): Promise<void> {
    await this.pages.collection.replaceOne(
      { _id: pageId(videoId, page) } as never,
      { videoId, page, frames: JSON.stringify(frames) },
      { upsert: true },
    );
  }

  /** Frames `from` .. `from + count - 1` as far as they are stored. */
  async frames(videoId: string, from: number, count: number): Promise<StoredFrame[]> {
    const first = Math.floor(from / FRAMES_PER_PAGE);
    const last = Math.floor((from + count - 1) / FRAMES_PER_PAGE);
    const pages = await this.pages
      .find({ videoId, page: { $gte: first, $lte: last } })
      .sort({ page: 1 })
      .lean<FramePageRecord[]>()
      .exec();
    return pages
      .flatMap((p) => JSON.parse(p.frames) as StoredFrame[])
      .filter((f) => f.index >= from && f.index < from + count);
  }
}
