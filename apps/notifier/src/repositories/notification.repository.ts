import type { Connection, Model, QueryFilter } from 'mongoose';
import { Schema } from 'mongoose';

import type { TemplateName } from '../templates/template-data.js';
import { isDuplicateKey } from './mongo-errors.js';

export type NotificationStatus = 'pending' | 'sent' | 'failed' | 'suppressed';

export interface NotificationRecord {
  eventId: string;
  eventType: string;
  userId: string;
  template: TemplateName;
  locale: string;
  status: NotificationStatus;
  recipient: string;
  subject: string;
  transport: string;
  providerId: string;
  attempts: number;
  lastError: string;
  suppressedReason: string;
  digestCount: number;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
}

interface NotificationDoc extends Omit<NotificationRecord, 'eventId'> {
  _id: string;
  /** While set in the future, one delivery owns the record (another redelivery waits). */
  leaseUntil: Date;
}

const schema = new Schema<NotificationDoc>(
  {
    _id: String,
    eventType: String,
    userId: { type: String, index: true },
    template: String,
    locale: String,
    status: { type: String, required: true },
    recipient: { type: String, default: '' },
    subject: { type: String, default: '' },
    transport: { type: String, default: '' },
    providerId: { type: String, default: '' },
    attempts: { type: Number, default: 0 },
    lastError: { type: String, default: '' },
    suppressedReason: { type: String, default: '' },
    digestCount: { type: Number, default: 0 },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    sentAt: { type: Date, default: null },
    leaseUntil: { type: Date, default: () => new Date(0) },
  },
  { collection: 'notifications', versionKey: false },
);
schema.index({ createdAt: -1, _id: -1 });
schema.index({ userId: 1, createdAt: -1, _id: -1 });

export interface NewNotification {
  eventId: string;
  eventType: string;
  userId: string;
  template: TemplateName;
  locale: string;
  recipient: string;
  transport: string;
  digestCount: number;
}

export type Claim =
  | { kind: 'claimed'; record: NotificationRecord }
  /** Already sent, failed or suppressed: nothing to do. */
  | { kind: 'done'; record: NotificationRecord }
  /** Another delivery of the same event holds the lease. */
  | { kind: 'busy'; record: NotificationRecord };

export interface ListFilter {
  userId?: string;
  statuses?: NotificationStatus[];
  templates?: string[];
  createdAfter?: Date;
  createdBefore?: Date;
  /** Keyset cursor: strictly older than this (createdAt, id). */
  before?: { createdAt: Date; eventId: string };
  limit: number;
}

const toRecord = (doc: NotificationDoc): NotificationRecord => {
  const { _id, leaseUntil: _lease, ...rest } = doc;
  return { eventId: _id, ...rest } as NotificationRecord;
};

/** The delivery log: one record per e-mail-worthy event, keyed by the event id (unique). */
export class NotificationRepository {
  readonly model: Model<NotificationDoc>;

  constructor(connection: Connection) {
    this.model = connection.model<NotificationDoc>('Notification', schema);
  }

  async get(eventId: string): Promise<NotificationRecord | undefined> {
    const doc = await this.model.findById(eventId).lean<NotificationDoc>().exec();
    return doc ? toRecord(doc) : undefined;
  }

  /** Records a suppressed notification once; returns false when the event had a record already. */
  async recordSuppressed(init: NewNotification, reason: string, now = new Date()): Promise<boolean> {
    const result = await this.model
      .updateOne(
        { _id: init.eventId },
        {
          $setOnInsert: {
            ...this.initial(init, now),
            status: 'suppressed',
            suppressedReason: reason,
          },
        },
        { upsert: true },
      )
      .exec();
    return result.upsertedCount === 1;
  }

  /**
   * Takes the record for sending: creates it (pending) or takes over a pending one whose lease ran
   * out, counting the attempt. One round trip in the common case.
   */
  async claim(init: NewNotification, leaseMs: number, now = new Date()): Promise<Claim> {
    // Fields $set/$inc below write must not appear in $setOnInsert too (a conflict for MongoDB).
    const { updatedAt: _u, leaseUntil: _l, ...insertOnly } = this.initial(init, now);
    try {
      const doc = await this.model
        .findOneAndUpdate(
          { _id: init.eventId, status: 'pending', leaseUntil: { $lte: now } },
          {
            $setOnInsert: insertOnly,
            $set: { leaseUntil: new Date(now.getTime() + leaseMs), updatedAt: now },
            $inc: { attempts: 1 },
          },
          { upsert: true, returnDocument: 'after' },
        )
        .lean<NotificationDoc>()
        .exec();
      if (doc) return { kind: 'claimed', record: toRecord(doc) };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const existing = await this.get(init.eventId);
    if (!existing) throw new Error(`notification ${init.eventId} vanished while claiming`);
    return { kind: existing.status === 'pending' ? 'busy' : 'done', record: existing };
  }

  async markSent(eventId: string, sent: { providerId: string; subject: string }, now = new Date()): Promise<void> {
    await this.model
      .updateOne(
        { _id: eventId },
        { $set: { status: 'sent', providerId: sent.providerId, subject: sent.subject, sentAt: now, updatedAt: now, lastError: '', leaseUntil: new Date(0) } },
      )
      .exec();
  }

  /** A transient failure: stays pending (the event is redelivered later), lease released. */
  async markRetrying(eventId: string, error: string, now = new Date()): Promise<void> {
    await this.model
      .updateOne({ _id: eventId }, { $set: { lastError: error, updatedAt: now, leaseUntil: new Date(0) } })
      .exec();
  }

  async markFailed(eventId: string, error: string, subject: string, now = new Date()): Promise<void> {
    await this.model
      .updateOne({ _id: eventId }, { $set: { status: 'failed', lastError: error, subject, updatedAt: now, leaseUntil: new Date(0) } })
      .exec();
  }

  /** Removes the address from a deleted user's delivery log (the log itself stays). */
  async forgetRecipient(userId: string): Promise<void> {
    await this.model.updateMany({ userId }, { $set: { recipient: '' } }).exec();
  }

  async list(filter: ListFilter): Promise<NotificationRecord[]> {
    const query: QueryFilter<NotificationDoc> = {};
    if (filter.userId) query.userId = filter.userId;
    if (filter.statuses?.length) query.status = { $in: filter.statuses };
    if (filter.templates?.length) query.template = { $in: filter.templates as TemplateName[] };
    const createdAt: Record<string, Date> = {};
    if (filter.createdAfter) createdAt.$gte = filter.createdAfter;
    if (filter.createdBefore) createdAt.$lt = filter.createdBefore;
    if (Object.keys(createdAt).length > 0) query.createdAt = createdAt;
    if (filter.before) {
      query.$or = [
        { createdAt: { $lt: filter.before.createdAt } },
        { createdAt: filter.before.createdAt, _id: { $lt: filter.before.eventId } },
      ];
    }
    const docs = await this.model
      .find(query)
      .sort({ createdAt: -1, _id: -1 })
      .limit(filter.limit)
      .lean<NotificationDoc[]>()
      .exec();
    return docs.map(toRecord);
  }

  private initial(init: NewNotification, now: Date) {
    return {
      eventType: init.eventType,
      userId: init.userId,
      template: init.template,
      locale: init.locale,
      recipient: init.recipient,
      transport: init.transport,
      digestCount: init.digestCount,
      subject: '',
      providerId: '',
      lastError: '',
      createdAt: now,
      updatedAt: now,
      sentAt: null,
      leaseUntil: new Date(0),
    };
  }
}
