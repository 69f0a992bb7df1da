import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { DocumentLocks } from './document-locks.js';
import { isDuplicateKey } from './errors.js';

/** One counted attempt as a brute-force check reads it. */
export interface WindowEntry<O extends string = string> {
  at: Date;
  outcome: O;
  /** Set on an entry written by `reserveAttempt`, so that its attempt can settle it. */
  ref?: string;
}

/** What one window must allow for an attempt to go ahead (read as `read` reads it). */
export interface WindowCheck<O extends string = string> {
  since: Date;
  limit: number;
  outcomes: readonly O[];
  admits(records: WindowEntry<O>[]): boolean;
}

/**
 * An attempt admitted by `reserveAttempt`: already counted as a failure in its windows, so
 * attempts running at the same time see it. `settle` says how it ended: `failure` keeps it,
 * `success` turns the subject's entry into a success and drops the IP's, `uncounted` (a rejected
 * photo, a disabled account) drops both. An attempt that never settles (a crash) stays a failure.
 */
export interface AttemptReservation<O extends string = string> {
  admitted: true;
  /** Each window's records as they were just before this attempt was added. */
  subject: WindowEntry<O>[];
  ip: WindowEntry<O>[];
  settle(outcome: 'failure' | 'success' | 'uncounted'): Promise<void>;
}

/** An attempt a window refused: nothing was written; both windows' records as read. */
export interface AttemptRefusal<O extends string = string> {
  admitted: false;
  refusedBy: 'subject' | 'ip';
  subject: WindowEntry<O>[];
  ip: WindowEntry<O>[];
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
    entries: { type: [{ _id: false, at: Date, outcome: String, ref: String }], default: [] },
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
  async append(id: string, entry: WindowEntry<O>): Promise<void> {
    await this.update(id, (entries) => [...entries, entry]);
  }

  /**
   * Rewrites one window with `change` (null: leave it as it is), under this process's lock on the
   * window and compare-and-set on `version` against other replicas. Answers the entries `change` saw.
   */
  private update(
    id: string,
    change: (entries: WindowEntry<O>[]) => WindowEntry<O>[] | null,
  ): Promise<WindowEntry<O>[]> {
    return this.locks.run(`throttle:${id}`, async () => {
      for (let attempt = 0; attempt < 50; attempt++) {
        const current = await this.model.findById(id).lean<ThrottleWindowDoc>().exec();
        const before = (current?.entries ?? []) as WindowEntry<O>[];
        const changed = change(before);
        if (!changed) return before;
        const entries = changed.sort((a, b) => a.at.getTime() - b.at.getTime()).slice(-this.keep);
        const now = new Date();
        if (!current) {
          try {
            await this.model.create({ _id: id, entries, version: 1, updatedAt: now });
            return before;
          } catch (error) {
            if (!isDuplicateKey(error)) throw error;
          }
        } else {
          const result = await this.model
            .updateOne(
              { _id: id, version: current.version },
              { $set: { entries, version: current.version + 1, updatedAt: now } },
            )
            .exec();
          if (result.matchedCount === 1) return before;
        }
        // Another replica wrote in between: read again after a short random pause.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
      }
      throw new Error(`throttle window ${id}: too many concurrent updates`);
    });
  }

  /**
   * Admits an attempt only if its windows allow it, and counts it as a failure in the same step
   * (per window: check and write under one lock and one compare-and-set), so attempts racing each
   * other see each other: a burst of parallel guesses can never all read an open window before any
   * of them is recorded. The subject's window is checked first; if the IP's then refuses, the
   * subject's entry is taken back.
   */
  async reserveAttempt(
    subjectWindow: string | undefined,
    ipWindow: string | undefined,
    at: Date,
    checks: { subject: WindowCheck<O>; ip: WindowCheck<O> },
  ): Promise<AttemptReservation<O> | AttemptRefusal<O>> {
    const ref = randomUUID();
    const entry = { at, outcome: 'failure' as O, ref };
    const claim = async (id: string | undefined, check: WindowCheck<O>) => {
      if (!id) return { admitted: true, records: [] as WindowEntry<O>[] };
      let admitted = false;
      let records: WindowEntry<O>[] = [];
      await this.update(id, (entries) => {
        records = view(entries, check);
        admitted = check.admits(records);
        return admitted ? [...entries, entry] : null;
      });
      return { admitted, records };
    };
    const subject = await claim(subjectWindow, checks.subject);
    if (!subject.admitted) {
      const ip = ipWindow ? view(await this.entries(ipWindow), checks.ip) : [];
      return { admitted: false, refusedBy: 'subject', subject: subject.records, ip };
    }
    const ip = await claim(ipWindow, checks.ip);
    const settleWindow = (id: string | undefined, outcome: O | null) =>
      id
        ? this.update(id, (entries) =>
            entries.flatMap((e) => (e.ref !== ref ? [e] : outcome ? [{ ...e, outcome }] : [])),
          )
        : undefined;
    if (!ip.admitted) {
      await settleWindow(subjectWindow, null);
      return { admitted: false, refusedBy: 'ip', subject: subject.records, ip: ip.records };
    }
    return {
      admitted: true,
      subject: subject.records,
      ip: ip.records,
      settle: async (outcome) => {
        if (outcome === 'failure') return;
        await Promise.all([
          settleWindow(subjectWindow, outcome === 'success' ? ('success' as O) : null),
          settleWindow(ipWindow, null),
        ]);
      },
    };
  }

  private async entries(id: string): Promise<WindowEntry<O>[]> {
    const doc = await this.model.findById(id).lean<ThrottleWindowDoc>().exec();
    return (doc?.entries ?? []) as WindowEntry<O>[];
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
    return view(await this.entries(id), { since, limit, outcomes });
  }

  /** Drops windows untouched since `before` (retention). */
  async prune(before: Date): Promise<void> {
    await this.model.deleteMany({ updatedAt: { $lt: before } }).exec();
  }
}

/** The newest `limit` entries after `since` with one of `outcomes`, newest first. */
function view<O extends string>(
  entries: WindowEntry<O>[],
  { since, limit, outcomes }: Pick<WindowCheck<O>, 'since' | 'limit' | 'outcomes'>,
): WindowEntry<O>[] {
  return entries
    .filter((e) => e.at > since && outcomes.includes(e.outcome))
    .sort((a, b) => b.at.getTime() - a.at.getTime())
    .slice(0, limit)
    .map((e) => ({ at: e.at, outcome: e.outcome }));
}
