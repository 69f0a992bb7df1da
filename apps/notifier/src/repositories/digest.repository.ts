import { isDuplicateKey } from '@guardian/mongo';
import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';

import {
  applyFailedAttempt,
  emptyDigest,
  type DigestDecision,
  type DigestEntry,
} from '../services/failed-login-digest.js';

interface DigestDoc {
  _id: string;
  lastAlertAt: Date | null;
  pending: number;
  recent: DigestEntry[];
  version: number;
}

const schema = new Schema<DigestDoc>(
  {
    _id: String,
    lastAlertAt: { type: Date, default: null },
    pending: { type: Number, default: 0 },
    recent: { type: [{ _id: false, eventId: String, alert: Boolean, failures: Number }], default: [] },
    version: { type: Number, required: true },
  },
  { collection: 'login_digests', versionKey: false },
);

/** Failed-login digest state per user; decisions come from the pure `applyFailedAttempt`. */
export class DigestRepository {
  readonly model: Model<DigestDoc>;

  constructor(connection: Connection) {
    this.model = connection.model<DigestDoc>('LoginDigest', schema);
  }

  /** Applies one failed attempt with compare-and-set on `version` (no transactions needed). */
  async apply(
    userId: string,
    attempt: { eventId: string; at: Date },
    windowMs: number,
  ): Promise<DigestDecision> {
    for (let round = 0; round < 20; round++) {
      const doc = await this.model.findById(userId).lean<DigestDoc>().exec();
      const state = doc
        ? { userId, lastAlertAt: doc.lastAlertAt, pending: doc.pending, recent: doc.recent }
        : emptyDigest(userId);
      const result = applyFailedAttempt(state, attempt, windowMs);
      if (!result.changed) return result.decision;
      const next = {
        lastAlertAt: result.state.lastAlertAt,
        pending: result.state.pending,
        recent: result.state.recent.map((e) => ({
          eventId: e.eventId,
          alert: e.alert,
          failures: e.failures,
        })),
      };
      if (!doc) {
        try {
          await this.model.create({ _id: userId, ...next, version: 1 });
          return result.decision;
        } catch (error) {
          if (isDuplicateKey(error)) continue;
          throw error;
        }
      }
      const written = await this.model
        .updateOne({ _id: userId, version: doc.version }, { $set: { ...next, version: doc.version + 1 } })
        .exec();
      if (written.matchedCount === 1) return result.decision;
    }
    throw new Error(`digest for ${userId}: too many concurrent updates`);
  }

  async forget(userId: string): Promise<void> {
    await this.model.deleteOne({ _id: userId }).exec();
  }
}
