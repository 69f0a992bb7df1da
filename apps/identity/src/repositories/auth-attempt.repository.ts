import {
  InsertBatcher,
  type AttemptRefusal,
  type AttemptReservation,
  type ThrottleWindows,
} from '@guardian/mongo';
import { announceNothing, pendingEventsField, type Announce, type PendingEvent } from '@guardian/events';
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

const accountWindow = (accountKey: string) => `account:${accountKey}`;
const ipWindow = (ip: string) => `ip:${ip}`;

/**
 * Every sign-in attempt (success, failure, blocked) with IP, user agent and method, plus the
 * throttle windows the brute-force check reads (@guardian/mongo ThrottleWindows): per account its
 * successes and failures, per IP its failures.
 */
export class AuthAttemptRepository {
  private readonly inserts: InsertBatcher<AuthAttemptRecord>;

  constructor(
    readonly model: AuthAttemptModel,
    private readonly windows: ThrottleWindows<AttemptRecord['outcome']>,
    private readonly announce: Announce = announceNothing,
  ) {
    this.inserts = new InsertBatcher<AuthAttemptRecord>(model.collection);
  }

  /**
   * `counted: false` leaves the throttle windows alone (a success that ends no failure chain
   * changes nothing there).
   */
  async record(
    attempt: Omit<AuthAttemptRecord, 'pendingEvents'>,
    events: PendingEvent[] = [],
    counted = true,
  ): Promise<void> {
    // Different documents: written together, not one round trip after another.
    await Promise.all([
      this.inserts.insertNew({ ...attempt, pendingEvents: events }),
      counted &&
        this.windows.countAttempt(
          accountWindow(attempt.accountKey),
          attempt.ip ? ipWindow(attempt.ip) : undefined,
          { at: attempt.at, outcome: attempt.outcome },
        ),
    ]);
    if (events.length > 0)
      this.announce({ collection: this.model.collection.collectionName, ids: [attempt._id], events });
  }

  /**
   * Admits a sign-in attempt only if neither the account's window nor the IP's refuses it (each
   * `admits` sees what `forAccount` / `forIp` would answer), counting it as a failure at once so
   * parallel guesses see each other; the caller settles it (ThrottleWindows.reserveAttempt). Its
   * log record is then written with `counted: false`.
   */
  reserve(
    accountKey: string,
    ip: string,
    at: Date,
    checks: {
      account: { since: Date; limit: number; admits(records: AttemptRecord[]): boolean };
      ip: { since: Date; limit: number; admits(records: AttemptRecord[]): boolean };
    },
  ): Promise<AttemptReservation<AttemptRecord['outcome']> | AttemptRefusal<AttemptRecord['outcome']>> {
    return this.windows.reserveAttempt(accountWindow(accountKey), ip ? ipWindow(ip) : undefined, at, {
      subject: { ...checks.account, outcomes: ['success', 'failure'] },
      ip: { ...checks.ip, outcomes: ['failure'] },
    });
  }

  /**
   * The newest `limit` counted attempts (successes and failures) of an account since `since`: enough
   * for the failure chain, since lock growth is capped long before `lockAfter + 32` failures.
   */
  forAccount(accountKey: string, since: Date, limit: number): Promise<AttemptRecord[]> {
    return this.windows.read(accountWindow(accountKey), since, limit, ['success', 'failure']);
  }

  /** The newest `limit` failures from an IP since `since` (successes never reset an IP). */
  forIp(ip: string, since: Date, limit: number): Promise<AttemptRecord[]> {
    if (!ip) return Promise.resolve([]);
    return this.windows.read(ipWindow(ip), since, limit, ['failure']);
  }

  /** A user's newest attempts (the log, not the windows): for the user and their admins to review. */
  recentOfUser(userId: string, limit: number): Promise<AuthAttemptRecord[]> {
    return this.model
      .find({ userId }, { pendingEvents: 0 })
      .sort({ at: -1 })
      .limit(limit)
      .lean<AuthAttemptRecord[]>()
      .exec();
  }

  /** Deletes attempts older than `before` whose events have been published (retention). */
  async prune(before: Date): Promise<number> {
    const [result] = await Promise.all([
      this.model.deleteMany({ at: { $lt: before }, 'pendingEvents.0': { $exists: false } }).exec(),
      this.windows.prune(before),
    ]);
    return result.deletedCount;
  }
}
