import { isDuplicateKey } from '@guardian/mongo';
import { conflict } from '@guardian/domain';
import {
  announceNothing,
  pendingEventsField,
  type Announce,
  type PendingEvent,
  type QueuedAt,
} from '@guardian/events';
import { Schema, type Connection, type Model } from 'mongoose';

/**
 * `face_templates`: one document per user (`_id` = user id). The embedding is stored only encrypted
 * (packed AES-256-GCM, see services/template-crypto.ts). Deleting an enrollment erases the template
 * and leaves a tombstone (user id, timestamps, no biometric data) that carries the `biometric.removed`
 * event until the relay has published it — state change and event in one document update.
 */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TemplateQualityRecord {
  minDetectionScore: number | null;
  meanDetectionScore: number | null;
  minFaceSizePx: number | null;
  maxPairDistance: number;
}

export interface TemplateRecord {
  _id: string;
  modelId: string;
  sampleCount: number;
  /** Packed encrypted template; absent on a tombstone. */
  template?: Buffer;
  keyId?: string;
  faceBox?: FaceBox;
  quality?: TemplateQualityRecord;
  /** Optimistic-concurrency revision. */
  rev: number;
  createdAt: Date;
  updatedAt: Date;
  removedAt?: Date | null;
  pendingEvents?: PendingEvent[];
}

/** A record that holds a template. */
export type EnrolledRecord = TemplateRecord & { template: Buffer; keyId: string };

const templateSchema = new Schema<TemplateRecord>(
  {
    _id: { type: String, required: true },
    modelId: { type: String, required: true },
    sampleCount: { type: Number, required: true },
    template: { type: Buffer },
    keyId: { type: String },
    faceBox: { type: { x: Number, y: Number, width: Number, height: Number }, _id: false },
    quality: {
      type: {
        minDetectionScore: Number,
        meanDetectionScore: Number,
        minFaceSizePx: Number,
        maxPairDistance: Number,
      },
      _id: false,
    },
    rev: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    removedAt: { type: Date, default: null },
    pendingEvents: pendingEventsField,
  },
  { collection: 'face_templates', versionKey: false },
);
templateSchema.index({ modelId: 1 });

export type TemplateModel = Model<TemplateRecord>;

export const templateModel = (connection: Connection): TemplateModel =>
  (connection.models.FaceTemplate as TemplateModel | undefined) ??
  connection.model<TemplateRecord>('FaceTemplate', templateSchema);

const isEnrolled = (record: TemplateRecord | null): record is EnrolledRecord =>
  !!record?.template && !!record.keyId;

const toBuffer = (value: unknown): Buffer => {
  if (Buffer.isBuffer(value)) return value;
  const binary = value as { buffer?: Uint8Array };
  return Buffer.from(binary.buffer ?? (value as Uint8Array));
};

function normalise(record: TemplateRecord | null): TemplateRecord | null {
  if (record?.template) record.template = toBuffer(record.template);
  return record;
}

export interface SaveTemplate {
  userId: string;
  modelId: string;
  sampleCount: number;
  template: Buffer;
  keyId: string;
  faceBox: FaceBox;
  quality: TemplateQualityRecord;
}

export class TemplateRepository {
  /**
   * @param announce asks the relay to publish pending events now: after every write that queues
   *   one, and while a write waits for a quiet document (see `quiet`).
   */
  constructor(
    readonly model: TemplateModel,
    private readonly announce: Announce = announceNothing,
  ) {}

  /** Where a user's template events wait for the relay. */
  queuedAt(userId: string): QueuedAt {
    return { collection: this.model.collection.collectionName, ids: [userId] };
  }

  /**
   * Waits (bounded) until the document carries no unpublished events, so the relay's `$pull` cannot
   * race the next write: FerretDB 1.x applies updates as read-modify-write and loses one of two
   * concurrent updates of a document. True when quiet; false when events are still pending after the
   * wait (NATS down: then the relay is not writing either, and the write goes ahead unguarded).
   */
  private async quiet(userId: string): Promise<boolean> {
    const deadline = Date.now() + QUIET_WAIT_MS;
    for (;;) {
      const pending = await this.model.exists({ _id: userId, 'pendingEvents.0': { $exists: true } }).exec();
      if (!pending) return true;
      if (Date.now() >= deadline) return false;
      this.announce(this.queuedAt(userId));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async guard(userId: string): Promise<Record<string, unknown>> {
    return (await this.quiet(userId)) ? { 'pendingEvents.0': { $exists: false } } : {};
  }

  /** The user's record (tombstones included), or null. */
  async find(userId: string): Promise<TemplateRecord | null> {
    return normalise(await this.model.findById(userId).lean<TemplateRecord>().exec());
  }

  /** The user's record when it holds a template. */
  async findEnrolled(userId: string): Promise<EnrolledRecord | null> {
    const record = await this.find(userId);
    return isEnrolled(record) ? record : null;
  }

  /**
   * Creates or replaces the template, with the event that announces it, in one write. `previous` is
   * the record read before (its `rev` guards against a concurrent enrollment: ENROLLMENT_CONFLICT).
   */
  async save(
    previous: TemplateRecord | null,
    data: SaveTemplate,
    event: PendingEvent,
    now = new Date(),
  ): Promise<TemplateRecord> {
    const saved = await this.write(previous, data, event, now);
    this.announce({ ...this.queuedAt(data.userId), events: [event] });
    return saved;
  }

  private async write(
    previous: TemplateRecord | null,
    data: SaveTemplate,
    event: PendingEvent,
    now: Date,
  ): Promise<TemplateRecord> {
    const fields = {
      modelId: data.modelId,
      sampleCount: data.sampleCount,
      template: data.template,
      keyId: data.keyId,
      faceBox: data.faceBox,
      quality: data.quality,
      updatedAt: now,
      removedAt: null,
    };
    if (!previous) {
      try {
        await this.model.create({
          _id: data.userId,
          ...fields,
          rev: 1,
          createdAt: now,
          pendingEvents: [event],
        });
      } catch (error) {
        if (isDuplicateKey(error)) throw enrollmentConflict();
        throw error;
      }
      return { _id: data.userId, ...fields, rev: 1, createdAt: now };
    }
    const createdAt = isEnrolled(previous) ? previous.createdAt : now;
    for (let attempt = 0; attempt < LOST_UPDATE_RETRIES; attempt++) {
      const result = await this.model
        .updateOne(
          { _id: data.userId, rev: previous.rev, ...(await this.guard(data.userId)) },
          { $set: { ...fields, createdAt }, $inc: { rev: 1 }, $push: { pendingEvents: event } },
        )
        .exec();
      if (result.matchedCount === 0) {
        if ((await this.revOf(data.userId)) !== previous.rev) throw enrollmentConflict();
        continue; // an event became pending in between: wait for quiet again
      }
      const rev = await this.revOf(data.userId);
      if (rev === previous.rev + 1) return { _id: data.userId, ...fields, rev, createdAt };
      if (rev !== previous.rev) throw enrollmentConflict();
      // rev unchanged: a concurrent update of the same document (the relay's $pull) put the old
      // version back — FerretDB 1.x loses such updates. Write again.
    }
    throw new Error(`template of ${data.userId} could not be saved: concurrent writes kept undoing it`);
  }

  private async revOf(userId: string): Promise<number | undefined> {
    const doc = await this.model.findById(userId, { rev: 1 }).lean<{ rev: number }>().exec();
    return doc?.rev;
  }

  /**
   * Erases the template (keeps a tombstone with the event). Idempotent: false, and no event, when the
   * user had no template. Read back and written again when a concurrent update undid it (see save).
   */
  async erase(userId: string, event: PendingEvent, now = new Date()): Promise<boolean> {
    const erased = await this.eraseOnce(userId, event, now);
    if (erased) this.announce(this.queuedAt(userId));
    return erased;
  }

  private async eraseOnce(userId: string, event: PendingEvent, now: Date): Promise<boolean> {
    let erased = false;
    for (let attempt = 0; attempt < LOST_UPDATE_RETRIES; attempt++) {
      const result = await this.model
        .updateOne(
          { _id: userId, template: { $exists: true }, ...(await this.guard(userId)) },
          {
            $unset: { template: 1, keyId: 1, faceBox: 1, quality: 1 },
            $set: { removedAt: now, updatedAt: now, sampleCount: 0 },
            $inc: { rev: 1 },
            $push: { pendingEvents: event },
          },
        )
        .exec();
      if (result.modifiedCount === 0) {
        if (!(await this.findEnrolled(userId))) return erased;
        continue; // an event became pending in between: wait for quiet again
      }
      erased = true;
      if (!(await this.findEnrolled(userId))) return true;
    }
    throw new Error(`template of ${userId} could not be erased: concurrent writes kept undoing it`);
  }

  /** Every record holding a template of `modelId`, streamed (index load at start-up). */
  async *enrolledWithModel(modelId: string): AsyncGenerator<EnrolledRecord> {
    const cursor = this.model
      .find({ modelId, template: { $exists: true } }, { _id: 1, modelId: 1, template: 1, keyId: 1 })
      .lean<TemplateRecord>()
      .cursor({ batchSize: 1_000 });
    for await (const raw of cursor) {
      const record = normalise(raw as TemplateRecord);
      if (isEnrolled(record)) yield record;
    }
  }

  /** How many templates were made by another model (they need re-enrollment). */
  countOtherModels(modelId: string): Promise<number> {
    return this.model.countDocuments({ modelId: { $ne: modelId }, template: { $exists: true } }).exec();
  }
}

/** FerretDB 1.x can lose an update that races another update of the same document; writes are checked. */
const LOST_UPDATE_RETRIES = 5;
/** How long a write waits for the relay to publish a document's pending events. */
const QUIET_WAIT_MS = 3_000;

const enrollmentConflict = () =>
  conflict('ENROLLMENT_CONFLICT', 'the enrollment changed while this one was being saved; retry');
