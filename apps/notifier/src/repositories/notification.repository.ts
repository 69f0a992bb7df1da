import { constants, gunzipSync, gzipSync } from 'node:zlib';

import { InsertBatcher } from '@guardian/mongo';
import type { Connection, Model, QueryFilter } from 'mongoose';
import { Schema } from 'mongoose';

import type { KeptMessage } from '../services/mail.js';
import type { TemplateName } from '../templates/template-data.js';

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

/** A message the outbox transport kept, as the dashboard shows it (addressed from the record's fields). */
export interface OutboxMessage extends KeptMessage {
  to: string;
  subject: string;
}

/**
 * As stored: the bodies (HTML and text, about 4-5 KB) gzipped together into `body` at the fastest
 * level (about 80 µs), a third of the size. The database's work per record grows with its size
 * (FerretDB reads every index key out of the whole JSON document: 0.35 ms per record gzipped, 0.5 ms
 * plain). Recipient and subject are the record's own fields.
 */
interface StoredMessage {
  from: string;
  body: Buffer;
}

interface NotificationDoc extends Omit<NotificationRecord, 'eventId'> {
  _id: string;
  message?: StoredMessage;
}

const packMessage = ({ from, html, text }: KeptMessage): StoredMessage => ({
  from,
  body: gzipSync(JSON.stringify({ html, text }), { level: constants.Z_BEST_SPEED }),
});

function unpackMessage({ from, body }: StoredMessage): KeptMessage {
  // lean() hands back the driver's Binary; Buffer.from takes either.
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from((body as { buffer: Uint8Array }).buffer);
  const { html, text } = JSON.parse(gunzipSync(bytes).toString('utf8')) as { html: string; text: string };
  return { from, html, text };
}

/** Lists and redelivery checks leave the kept message out. */
const WITHOUT_MESSAGE = { message: 0 } as const;

const schema = new Schema<NotificationDoc>(
  {
    _id: String,
    eventType: String,
    userId: String,
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
    message: {
      type: new Schema<StoredMessage>({ from: String, body: Buffer }, { _id: false }),
      default: undefined,
    },
  },
  { collection: 'notifications', versionKey: false },
);
// A user's log and "forget this user" both use the second index's `userId` prefix.
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
  const { _id, message: _message, ...rest } = doc;
  return { eventId: _id, ...rest } as NotificationRecord;
};

export interface FinalOutcome {
  status: 'sent' | 'failed';
  attempts: number;
  subject: string;
  providerId?: string;
  lastError?: string;
  /** The outbox transport's message, kept in the same write as the outcome. */
  message?: KeptMessage;
}

/** The delivery log: one record per e-mail-worthy event, keyed by the event id (unique). */
export class NotificationRepository {
  readonly model: Model<NotificationDoc>;
  /** New records go in batches (group commit); updates stay one by one. */
  private readonly inserts: InsertBatcher<NotificationDoc>;

  constructor(connection: Connection) {
    this.model = connection.model<NotificationDoc>('Notification', schema);
    this.inserts = new InsertBatcher<NotificationDoc>(this.model.collection);
  }

  async get(eventId: string): Promise<NotificationRecord | undefined> {
    const doc = await this.model.findById(eventId, WITHOUT_MESSAGE).lean<NotificationDoc>().exec();
    return doc ? toRecord(doc) : undefined;
  }

  /** A record with the message the outbox transport kept for it, if any. */
  async getWithMessage(
    eventId: string,
  ): Promise<{ record: NotificationRecord; message: OutboxMessage | undefined } | undefined> {
    const doc = await this.model.findById(eventId).lean<NotificationDoc>().exec();
    if (!doc) return undefined;
    const message = doc.message && { ...unpackMessage(doc.message), to: doc.recipient, subject: doc.subject };
    return { record: toRecord(doc), message };
  }

  /**
   * Records a suppressed notification once; false when the event had a record already. An insert,
   * not an upsert: inserts stay cheap on FerretDB, whose updates scan the collection.
   */
  async recordSuppressed(init: NewNotification, reason: string, now = new Date()): Promise<boolean> {
    const outcome = await this.inserts.insert({
      _id: init.eventId,
      ...this.initial(init, now),
      status: 'suppressed',
      suppressedReason: reason,
    });
    return outcome === 'inserted';
  }

  /**
   * Writes the final outcome of a send: one insert in the common case (no earlier record), an
   * update after earlier transient failures (`existing`) or when a concurrent delivery inserted first.
   */
  async recordFinal(
    init: NewNotification,
    outcome: FinalOutcome,
    existing: boolean,
    now = new Date(),
  ): Promise<void> {
    const fields = {
      status: outcome.status,
      attempts: outcome.attempts,
      subject: outcome.subject,
      providerId: outcome.providerId ?? '',
      lastError: outcome.lastError ?? '',
      updatedAt: now,
      sentAt: outcome.status === 'sent' ? now : null,
      ...(outcome.message ? { message: packMessage(outcome.message) } : {}),
    };
    if (!existing) {
      const inserted = await this.inserts.insert({
        _id: init.eventId,
        ...this.initial(init, now),
        ...fields,
      });
      if (inserted === 'inserted') return;
    }
    await this.model.updateOne({ _id: init.eventId }, { $set: fields }).exec();
  }

  /** A transient failure: the record stays pending with the attempt count and error; the event is redelivered. */
  async recordRetry(
    init: NewNotification,
    attempts: number,
    error: string,
    subject: string,
    now = new Date(),
  ): Promise<void> {
    const { updatedAt: _u, ...insertOnly } = this.initial(init, now);
    const { subject: _s, lastError: _e, attempts: _a, ...rest } = insertOnly;
    await this.model
      .updateOne(
        { _id: init.eventId },
        {
          $setOnInsert: rest,
          $set: { status: 'pending', attempts, lastError: error, subject, updatedAt: now },
        },
        { upsert: true },
      )
      .exec();
  }

  /** Removes the address and the kept messages from a deleted user's delivery log (the log itself stays). */
  async forgetRecipient(userId: string): Promise<void> {
    await this.model.updateMany({ userId }, { $set: { recipient: '' }, $unset: { message: 1 } }).exec();
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
      .find(query, WITHOUT_MESSAGE)
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
      attempts: 0,
      suppressedReason: '',
      createdAt: now,
      updatedAt: now,
      sentAt: null,
    };
  }
}
