import { announceNothing, pendingEventsField, type Announce, type PendingEvent } from '@guardian/events';
import { Schema, type Connection, type Model } from 'mongoose';

/** One frame's measurements as the audit keeps them (no pixels). */
export interface FrameAudit {
  tMs: number;
  yaw: number;
  pitch: number;
  roll: number;
  ear: number;
  face: boolean;
}

/**
 * `liveness_checks`: one document per liveness session, keyed by the session id. Created when a
 * capture is first presented (the unique `_id` is what makes a session single-use, across replicas),
 * then completed with the decision and per-frame measurements. The numeric score lives here only.
 */
export interface LivenessCheckRecord {
  _id: string;
  userId: string;
  purpose: 'sign_in' | 'enroll';
  actions: string[];
  issuedAt: Date;
  claimedAt: Date;
  scoredAt?: Date;
  /** pass | fail | retry | rejected (the capture itself was refused) | pending (being scored). */
  decision: string;
  reason: string;
  score: number;
  frames: FrameAudit[];
  ip: string;
  userAgent: string;
  pendingEvents?: PendingEvent[];
}

const schema = new Schema<LivenessCheckRecord>(
  {
    _id: { type: String, required: true },
    userId: { type: String, default: '' },
    purpose: { type: String, required: true },
    actions: { type: [String], default: [] },
    issuedAt: { type: Date, required: true },
    claimedAt: { type: Date, required: true },
    scoredAt: { type: Date },
    decision: { type: String, default: 'pending' },
    reason: { type: String, default: '' },
    score: { type: Number, default: 0 },
    frames: {
      type: [
        { _id: false, tMs: Number, yaw: Number, pitch: Number, roll: Number, ear: Number, face: Boolean },
      ],
      default: [],
    },
    ip: { type: String, default: '' },
    userAgent: { type: String, default: '' },
    pendingEvents: pendingEventsField,
  },
  { collection: 'liveness_checks', versionKey: false },
);
schema.index({ userId: 1, claimedAt: -1 });

export type LivenessCheckModel = Model<LivenessCheckRecord>;

export const livenessCheckModel = (connection: Connection): LivenessCheckModel =>
  (connection.models.LivenessCheck as LivenessCheckModel | undefined) ??
  connection.model<LivenessCheckRecord>('LivenessCheck', schema);

const isDuplicateKey = (error: unknown) => (error as { code?: number } | null)?.code === 11000;

export class LivenessCheckRepository {
  constructor(
    readonly model: LivenessCheckModel,
    private readonly announce: Announce = announceNothing,
  ) {}

  /** Takes the session for this capture; false when it was presented before (single use). */
  async claim(
    record: Pick<
      LivenessCheckRecord,
      '_id' | 'userId' | 'purpose' | 'actions' | 'issuedAt' | 'ip' | 'userAgent'
    >,
    at: Date,
  ): Promise<boolean> {
    try {
      await this.model.collection.insertOne({
        ...record,
        claimedAt: at,
        decision: 'pending',
        reason: '',
        score: 0,
        frames: [],
      } as never);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** Completes a claimed session with its decision (and its event, published by the relay). */
  async complete(
    sessionId: string,
    outcome: Pick<LivenessCheckRecord, 'decision' | 'reason' | 'score' | 'frames' | 'scoredAt'> & {
      userId?: string;
    },
    events: PendingEvent[] = [],
  ): Promise<void> {
    await this.model.collection.updateOne({ _id: sessionId } as never, {
      $set: { ...outcome, ...(events.length ? { pendingEvents: events } : {}) },
    });
    if (events.length > 0)
      this.announce({ collection: this.model.collection.collectionName, ids: [sessionId], events });
  }

  /** The user's checks, newest first. */
  forUser(userId: string, limit: number): Promise<LivenessCheckRecord[]> {
    return this.model.find({ userId }).sort({ claimedAt: -1 }).limit(limit).lean().exec() as Promise<
      LivenessCheckRecord[]
    >;
  }
}
