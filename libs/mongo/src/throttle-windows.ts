import { Schema, type Connection, type Model } from 'mongoose';
import { DocumentLocks } from './document-locks.js';
import { isDuplicateKey } from './errors.js';

/** One counted attempt as a brute-force check reads it. */
export interface WindowEntry<O extends string = string> {
  at: Date;
  outcome: O;
}

interface ThrottleWindowDoc {
  _id: string;
  entries: WindowEntry[];
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

export type ThrottleWindowModel = Model<ThrottleWindowDoc>;

export const throttleWindowModel = (connection: Connection): ThrottleWindowModel =>
  (connection.models.ThrottleWindow as ThrottleWindowModel | undefined) ??
  connection.model<ThrottleWindowDoc>('ThrottleWindow', windowSchema);

/**
 * What a brute-force check reads, kept apart from the attempt log: per key (an account, a client
 * IP) the newest `keep` counted attempts in one document read by id. Querying the log answers the
 * same question, but costs more as the log grows; on FerretDB, which uses no secondary index, it is
 * a scan of the whole collection on every sign-in. The log stays the audit record.
 */
export class ThrottleWindows<O extends string = string> {
  constructor(
    readonly model: ThrottleWindowModel,
    private readonly keep = 64,
    private readonly locks = new DocumentLocks(),
  ) {}

  /**
   * Adds an entry: one at a time per window in this process, with compare-and-set on `version`
   * against other replicas, so concurrent attempts lose none.
   */
  append(id: string, entry: WindowEntry<O>): Promise<void> {
    return this.locks.run(`throttle:${id}`, () => this.appendOnce(id, entry));
  }

  private async appendOnce(id: string, entry: WindowEntry<O>): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.model.findById(id).lean<ThrottleWindowDoc>().exec();
      const entries = [...(current?.entries ?? []), entry]
        .sort((a, b) => a.at.getTime() - b.at.getTime())
        .slice(-this.keep);
      const now = new Date();
      if (!current) {
        try {
          await this.model.create({ _id: id, entries, version: 1, updatedAt: now });
          return;
        } catch (error) {
          if (isDuplicateKey(error)) continue;
          throw error;
        }
      }
      const result = await this.model
        .updateOne(
          { _id: id, version: current.version },
          { $set: { entries, version: current.version + 1, updatedAt: now } },
        )
        .exec();
      if (result.matchedCount === 1) return;
    }
    throw new Error(`throttle window ${id}: too many concurrent updates`);
  }

  /**
   * Counts one sign-in attempt: the subject's window (an account, a user) keeps successes and
   * failures (a success ends its failure chain); the client IP's keeps failures only. Other outcomes
   * (refused, rejected photo) are not counted.
   */
  async countAttempt(
    subjectWindow: string | undefined,
    ipWindow: string | undefined,
    entry: WindowEntry<O>,
  ): Promise<void> {
    const counted = entry.outcome === 'success' || entry.outcome === 'failure';
    await Promise.all([
      counted && subjectWindow ? this.append(subjectWindow, entry) : undefined,
      entry.outcome === 'failure' && ipWindow ? this.append(ipWindow, entry) : undefined,
    ]);
  }

  /** The newest `limit` entries after `since` with one of `outcomes`, newest first. */
  async read(id: string, since: Date, limit: number, outcomes: readonly O[]): Promise<WindowEntry<O>[]> {
    const doc = await this.model.findById(id).lean<ThrottleWindowDoc>().exec();
    return ((doc?.entries ?? []) as WindowEntry<O>[])
      .filter((e) => e.at > since && outcomes.includes(e.outcome))
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, limit)
      .map((e) => ({ at: e.at, outcome: e.outcome }));
  }

  /** Drops windows untouched since `before` (retention). */
  async prune(before: Date): Promise<void> {
    await this.model.deleteMany({ updatedAt: { $lt: before } }).exec();
  }
}
