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

/** Per-user notification preferences; a user without a document has the defaults. */
export class PreferencesRepository {
  readonly model: Model<PreferencesDoc>;

  constructor(connection: Connection) {
    this.model = connection.model<PreferencesDoc>('Preferences', schema);
  }

  async get(userId: string): Promise<Preferences> {
    const doc = await this.model.findById(userId).lean<PreferencesDoc>().exec();
    return doc ? { loginSuccessAlerts: doc.loginSuccessAlerts } : { ...DEFAULT_PREFERENCES };
  }

  async update(userId: string, changes: Partial<Preferences>): Promise<Preferences> {
    const current = await this.get(userId);
    const next: Preferences = { ...current, ...changes };
    await this.model
      .updateOne(
        { _id: userId },
        { $set: { loginSuccessAlerts: next.loginSuccessAlerts, updatedAt: new Date() } },
        { upsert: true },
      )
      .exec();
    return next;
  }

  async forget(userId: string): Promise<void> {
    await this.model.deleteOne({ _id: userId }).exec();
  }
}
