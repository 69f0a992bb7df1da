import { pendingEventsField, type PendingEvent } from '@guardian/events';
import { Schema, type Connection, type Model } from 'mongoose';
import type { AttemptOutcome, AttemptRecord } from '../services/face-throttle.js';

/**
 * `face_attempts`: every face verification (success, failure, blocked, rejected photo) with user,
 * client IP and user agent. The auth event of an attempt is written with it (pendingEvents).
 * No TTL index (FerretDB): old attempts are ignored by time in code.
 */
export interface FaceAttemptRecord {
  _id: string;
  userId: string;
  ip: string;
  userAgent: string;
  outcome: AttemptOutcome;
  reason: string;
  distance?: number;
  at: Date;
  pendingEvents?: PendingEvent[];
}

const attemptSchema = new Schema<FaceAttemptRecord>(
  {
    _id: { type: String, required: true },
    // Empty for a nameless face login that matched nobody.
    userId: { type: String, default: '' },
    ip: { type: String, default: '' },
    userAgent: { type: String, default: '' },
    outcome: { type: String, required: true },
    reason: { type: String, default: '' },
    distance: { type: Number },
    at: { type: Date, required: true },
    pendingEvents: pendingEventsField,
  },
  { collection: 'face_attempts', versionKey: false },
);
attemptSchema.index({ userId: 1, at: -1 });
attemptSchema.index({ ip: 1, at: -1 });

export type FaceAttemptModel = Model<FaceAttemptRecord>;

export const faceAttemptModel = (connection: Connection): FaceAttemptModel =>
  (connection.models.FaceAttempt as FaceAttemptModel | undefined) ??
  connection.model<FaceAttemptRecord>('FaceAttempt', attemptSchema);

export class FaceAttemptRepository {
  constructor(readonly model: FaceAttemptModel) {}

  async record(
    attempt: Omit<FaceAttemptRecord, 'pendingEvents'>,
    events: PendingEvent[] = [],
  ): Promise<void> {
    await this.model.create({ ...attempt, pendingEvents: events });
  }

  /** The user's recent attempts since `since` (newest first, bounded). */
  forUser(userId: string, since: Date, limit = 200): Promise<AttemptRecord[]> {
    return this.model
      .find({ userId, at: { $gt: since } }, { at: 1, outcome: 1, _id: 0 })
      .sort({ at: -1 })
      .limit(limit)
      .lean<AttemptRecord[]>()
      .exec();
  }

  forIp(ip: string, since: Date, limit = 500): Promise<AttemptRecord[]> {
    if (!ip) return Promise.resolve([]);
    return this.model
      .find({ ip, at: { $gt: since } }, { at: 1, outcome: 1, _id: 0 })
      .sort({ at: -1 })
      .limit(limit)
      .lean<AttemptRecord[]>()
      .exec();
  }
}
