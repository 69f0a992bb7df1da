import { TtlCache } from '@guardian/domain';
import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';

import { DEFAULT_PREFERENCES, type Preferences } from '../services/notification-policy.js';

interface PreferencesDoc {
  _id: string;
  loginSuccessAlerts: boolean;
  updatedAt: Date;
}

const schema = new Schema<PreferencesDoc>(
  { _id: String, loginSuccessAlerts: { type: Boolean, required: true }, updatedAt: Date },
  { collection: 'preferences', versionKey: false },
);

/**
 * Per-user notification preferences; a user without a document has the defaults. Reads go through
 * a short-lived cache (`cacheTtlMs`, defaults included): this replica's changes update it at once,
 * another replica's within the ttl.
 */
export class PreferencesRepository {
  readonly model: Model<PreferencesDoc>;
  private readonly cache: TtlCache<string, Preferences>;

  constructor(connection: Connection, cacheTtlMs = 0) {
    this.model = connection.model<PreferencesDoc>('Preferences', schema);
    this.cache = new TtlCache(cacheTtlMs);
  }

  async get(userId: string): Promise<Preferences> {
    const cached = this.cache.get(userId);
    if (cached) return { ...cached };
    const doc = await this.model.findById(userId).lean<PreferencesDoc>().exec();
    const preferences = doc ? { loginSuccessAlerts: doc.loginSuccessAlerts } : { ...DEFAULT_PREFERENCES };
    this.cache.set(userId, preferences);
    return { ...preferences };
  }

  async update(userId: string, changes: Partial<Preferences>): Promise<Preferences> {
    this.cache.delete(userId);
    const current = await this.get(userId);
    const next: Preferences = { ...current, ...changes };
    await this.model
      .updateOne(
        { _id: userId },
        { $set: { loginSuccessAlerts: next.loginSuccessAlerts, updatedAt: new Date() } },
        { upsert: true },
      )
      .exec();
    this.cache.set(userId, next);
    return next;
  }

  async forget(userId: string): Promise<void> {
    this.cache.delete(userId);
    await this.model.deleteOne({ _id: userId }).exec();
  }
}
