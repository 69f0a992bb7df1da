import { isDuplicateKey } from '@guardian/mongo';
import { pendingEventsField, type PendingEvent } from '@guardian/events';
import { Schema, type Connection, type Model } from 'mongoose';
import type { AttemptOutcome, AttemptRecord } from '../services/brute-force.js';
import { DocumentLocks } from './document-locks.js';

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

/**
 * What the brute-force check reads, kept apart from the attempt log: per account (successes and
 * failures) and per IP (failures), the newest entries in one document read by id. The log answers
 * the same question only with a query over every attempt, which costs more as the log grows (and
 * on FerretDB, which has no secondary indexes, a scan of the whole collection on every sign-in).
 */
interface ThrottleWindowDoc {
  _id: string;
  entries: AttemptRecord[];
  version: number;
  updatedAt: Date;
}

const windowSchema = new Schema<ThrottleWindowDoc>(
  {
    _id: { type: String, required: true },
    entries: { type: [{ _id: false, at: Date, outcome: String }], default: [] },
    version: { type: Number, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'throttle_windows', versionKey: false },
);

export const throttleWindowModel = (connection: Connection): Model<ThrottleWindowDoc> =>
  (connection.models.ThrottleWindow as Model<ThrottleWindowDoc> | undefined) ??
  connection.model<ThrottleWindowDoc>('ThrottleWindow', windowSchema);

const accountWindow = (accountKey: string) => `account:${accountKey}`;
const ipWindow = (ip: string) => `ip:${ip}`;

/**
 * Every sign-in attempt (success, failure, blocked) with IP, user agent and method, plus the
 * throttle windows the brute-force check reads (see ThrottleWindowDoc), each keeping its newest
 * `keep` entries.
 */
export class AuthAttemptRepository {
  constructor(
    readonly model: AuthAttemptModel,
    readonly windows: Model<ThrottleWindowDoc>,
    private readonly keep = 64,
    private readonly locks = new DocumentLocks(),
  ) {}

  async record(
    attempt: Omit<AuthAttemptRecord, 'pendingEvents'>,
    events: PendingEvent[] = [],
  ): Promise<void> {
    await this.model.create({ ...attempt, pendingEvents: events });
    const entry = { at: attempt.at, outcome: attempt.outcome };
    if (attempt.outcome === 'success' || attempt.outcome === 'failure')
      await this.append(accountWindow(attempt.accountKey), entry);
    if (attempt.outcome === 'failure' && attempt.ip) await this.append(ipWindow(attempt.ip), entry);
  }

  /**
   * Adds an entry: one at a time per window in this process, with compare-and-set on `version`
   * against other replicas, so concurrent sign-ins lose none.
   */
  private append(id: string, entry: AttemptRecord): Promise<void> {
    return this.locks.run(`throttle:${id}`, () => this.appendOnce(id, entry));
  }

  private async appendOnce(id: string, entry: AttemptRecord): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.windows.findById(id).lean<ThrottleWindowDoc>().exec();
      const entries = [...(current?.entries ?? []), entry]
        .sort((a, b) => a.at.getTime() - b.at.getTime())
        .slice(-this.keep);
      const now = new Date();
      if (!current) {
        try {
          await this.windows.create({ _id: id, entries, version: 1, updatedAt: now });
          return;
        } catch (error) {
          if (isDuplicateKey(error)) continue;
          throw error;
        }
      }
      const result = await this.windows
        .updateOne(
          { _id: id, version: current.version },
          { $set: { entries, version: current.version + 1, updatedAt: now } },
        )
        .exec();
      if (result.matchedCount === 1) return;
    }
    throw new Error(`throttle window ${id}: too many concurrent updates`);
  }

  private async window(
    id: string,
    since: Date,
    limit: number,
    outcomes: readonly AttemptRecord['outcome'][],
  ): Promise<AttemptRecord[]> {
    const doc = await this.windows.findById(id).lean<ThrottleWindowDoc>().exec();
    return (doc?.entries ?? [])
      .filter((e) => e.at > since && outcomes.includes(e.outcome))
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, limit)
      .map((e) => ({ at: e.at, outcome: e.outcome }));
  }

  /**
   * The newest `limit` counted attempts (successes and failures) of an account since `since`: enough
   * for the failure chain, since lock growth is capped long before `lockAfter + 32` failures.
   */
  forAccount(accountKey: string, since: Date, limit: number): Promise<AttemptRecord[]> {
    return this.window(accountWindow(accountKey), since, limit, ['success', 'failure']);
  }

  /** The newest `limit` failures from an IP since `since` (successes never reset an IP). */
  forIp(ip: string, since: Date, limit: number): Promise<AttemptRecord[]> {
    if (!ip) return Promise.resolve([]);
    return this.window(ipWindow(ip), since, limit, ['failure']);
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
      this.windows.deleteMany({ updatedAt: { $lt: before } }).exec(),
    ]);
    return result.deletedCount;
  }
}
