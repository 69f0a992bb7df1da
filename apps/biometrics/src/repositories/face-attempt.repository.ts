import { announceNothing, pendingEventsField, type Announce, type PendingEvent } from '@guardian/events';
import {
  InsertBatcher,
  type AttemptRefusal,
  type AttemptReservation,
  type ThrottleWindows,
} from '@guardian/mongo';
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

export type FaceAttemptModel = Model<FaceAttemptRecord>;

export const faceAttemptModel = (connection: Connection): FaceAttemptModel =>
  (connection.models.FaceAttempt as FaceAttemptModel | undefined) ??
  connection.model<FaceAttemptRecord>('FaceAttempt', attemptSchema);

const userWindow = (userId: string) => `user:${userId}`;
/** How many recent attempts the throttle reads per user and per IP (lock growth is capped well before). */
const USER_LIMIT = 200;
const IP_LIMIT = 500;
const ipWindow = (ip: string) => `ip:${ip}`;

/**
 * Every face attempt (the log), plus the throttle windows the brute-force check reads
 * (@guardian/mongo ThrottleWindows): per user its successes and failures, per client IP its failures.
 */
export class FaceAttemptRepository {
  private readonly inserts: InsertBatcher<FaceAttemptRecord>;

  constructor(
    readonly model: FaceAttemptModel,
    private readonly windows: ThrottleWindows<AttemptOutcome>,
    private readonly announce: Announce = announceNothing,
  ) {
    this.inserts = new InsertBatcher<FaceAttemptRecord>(model.collection);
  }

  /**
   * Stores the attempt with its events and announces them to the relay. `counted: false` leaves
   * the throttle windows alone (a success that ends no failure chain changes nothing there).
   */
  async record(
    attempt: Omit<FaceAttemptRecord, 'pendingEvents'>,
    events: PendingEvent[] = [],
    counted = true,
  ): Promise<void> {
    // Different documents: written together, not one round trip after another.
    await Promise.all([
      this.inserts.insertNew({ ...attempt, pendingEvents: events }),
      counted &&
        this.windows.countAttempt(
          attempt.userId ? userWindow(attempt.userId) : undefined,
          attempt.ip ? ipWindow(attempt.ip) : undefined,
          { at: attempt.at, outcome: attempt.outcome },
        ),
    ]);
    if (events.length > 0)
      this.announce({ collection: this.model.collection.collectionName, ids: [attempt._id], events });
  }

  /**
   * Admits a face attempt only if neither the user's window (none for a nameless face login) nor
   * the IP's refuses it (each `admits` sees what `forUser` / `forIp` would answer), counting it as a
   * failure at once so parallel attempts see each other; the caller settles it
   * (ThrottleWindows.reserveAttempt) and records the attempt with `counted: false`.
   */
  reserve(
    userId: string,
    ip: string,
    at: Date,
    checks: {
      user: { since: Date; admits(records: AttemptRecord[]): boolean };
      ip: { since: Date; admits(records: AttemptRecord[]): boolean };
    },
  ): Promise<AttemptReservation<AttemptOutcome> | AttemptRefusal<AttemptOutcome>> {
    return this.windows.reserveAttempt(
      userId ? userWindow(userId) : undefined,
      ip ? ipWindow(ip) : undefined,
      at,
      {
        subject: { ...checks.user, limit: USER_LIMIT, outcomes: ['success', 'failure'] },
        ip: { ...checks.ip, limit: IP_LIMIT, outcomes: ['failure'] },
      },
    );
  }

  /** The user's newest counted attempts (successes and failures) since `since`, newest first. */
  forUser(userId: string, since: Date, limit = USER_LIMIT): Promise<AttemptRecord[]> {
    return this.windows.read(userWindow(userId), since, limit, ['success', 'failure']);
  }

  /** The newest failures from a client IP since `since` (successes never reset an IP). */
  forIp(ip: string, since: Date, limit = IP_LIMIT): Promise<AttemptRecord[]> {
    if (!ip) return Promise.resolve([]);
    return this.windows.read(ipWindow(ip), since, limit, ['failure']);
  }
}
