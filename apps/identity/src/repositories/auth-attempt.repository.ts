import { pendingEventsField, type PendingEvent } from '@guardian/events';
import { Schema, type Connection, type Model } from 'mongoose';
import type { AttemptOutcome, AttemptRecord } from '../services/brute-force.js';

export interface AuthAttemptRecord {
  _id: string;
  /** The user id, or `unknown:<lower-cased identifier>` when no account matched. */
  accountKey: string;
  userId: string;
  identifier: string;
  ip: string;
  userAgent: string;
  method: 'password' | 'face';
  outcome: AttemptOutcome;
  reason: string;
  at: Date;
  pendingEvents?: PendingEvent[];
}

const attemptSchema = new Schema<AuthAttemptRecord>(
  {
    _id: { type: String, required: true },
    accountKey: { type: String, required: true },
    userId: { type: String, default: '' },
    identifier: { type: String, default: '' },
    ip: { type: String, default: '' },
    userAgent: { type: String, default: '' },
    method: { type: String, required: true },
    outcome: { type: String, required: true },
    reason: { type: String, default: '' },
    at: { type: Date, required: true },
    pendingEvents: pendingEventsField,
  },
  { collection: 'auth_attempts', versionKey: false },
);
attemptSchema.index({ accountKey: 1, at: -1 });
attemptSchema.index({ ip: 1, at: -1 });

export type AuthAttemptModel = Model<AuthAttemptRecord>;

export const authAttemptModel = (connection: Connection): AuthAttemptModel =>
  (connection.models.AuthAttempt as AuthAttemptModel | undefined) ??
  connection.model<AuthAttemptRecord>('AuthAttempt', attemptSchema);

/** Every sign-in attempt (success, failure, blocked) with IP, user agent and method. */
export class AuthAttemptRepository {
  constructor(readonly model: AuthAttemptModel) {}

  async record(
    attempt: Omit<AuthAttemptRecord, 'pendingEvents'>,
    events: PendingEvent[] = [],
  ): Promise<void> {
    await this.model.create({ ...attempt, pendingEvents: events });
  }

  /** The most recent attempts for an account since `since` (newest first, bounded). */
  /**
   * The newest `limit` counted attempts (successes and failures) of an account since `since`: enough
   * for the failure chain, since lock growth is capped long before `lockAfter + 32` failures.
   */
  forAccount(accountKey: string, since: Date, limit: number): Promise<AttemptRecord[]> {
    return this.model
      .find(
        { accountKey, at: { $gt: since }, outcome: { $in: ['success', 'failure'] } },
        { at: 1, outcome: 1, _id: 0 },
      )
      .sort({ at: -1 })
      .limit(limit)
      .lean<AttemptRecord[]>()
      .exec();
  }

  /** The newest `limit` failures from an IP since `since` (successes never reset an IP). */
  forIp(ip: string, since: Date, limit: number): Promise<AttemptRecord[]> {
    if (!ip) return Promise.resolve([]);
    return this.model
      .find({ ip, at: { $gt: since }, outcome: 'failure' }, { at: 1, outcome: 1, _id: 0 })
      .sort({ at: -1 })
      .limit(limit)
      .lean<AttemptRecord[]>()
      .exec();
  }

  /** Deletes attempts older than `before` whose events have been published (retention). */
  async prune(before: Date): Promise<number> {
    const result = await this.model
      .deleteMany({ at: { $lt: before }, 'pendingEvents.0': { $exists: false } })
      .exec();
    return result.deletedCount;
  }
}
