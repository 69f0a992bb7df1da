import { gunzipSync, gzipSync } from 'node:zlib';

import { InsertBatcher } from '@guardian/mongo';
import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';

import type { MailTransport, OutgoingEmail, SendResult } from '../services/mail.js';

export interface OutboxMessage {
  _id: string;
  userId: string;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  template: string;
  locale: string;
  createdAt: Date;
}

/**
 * As stored: the bodies (HTML and text, about 4-5 KB) gzipped together into `body`, a quarter of
 * the size; the fields a person or a query looks at stay plain.
 */
interface OutboxDoc extends Omit<OutboxMessage, 'html' | 'text'> {
  body: Buffer;
}

const schema = new Schema<OutboxDoc>(
  {
    _id: String,
    userId: { type: String, index: true },
    from: String,
    to: String,
    subject: String,
    body: Buffer,
    template: String,
    locale: String,
    createdAt: Date,
  },
  { collection: 'outbox', versionKey: false },
);

const packBody = (html: string, text: string): Buffer => gzipSync(JSON.stringify({ html, text }));

const unpack = (doc: OutboxDoc): OutboxMessage => {
  const { body, ...rest } = doc;
  // lean() hands back the driver's Binary; Buffer.from takes either.
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from((body as { buffer: Uint8Array }).buffer);
  const { html, text } = JSON.parse(gunzipSync(bytes).toString('utf8')) as { html: string; text: string };
  return { ...rest, html, text };
};

/**
 * The development transport: stores the rendered message in MongoDB (`outbox`, keyed by the event
 * id) instead of sending it, for the dashboard and for tests. Storing twice is a no-op.
 */
export class OutboxTransport implements MailTransport {
  readonly name = 'outbox' as const;
  readonly model: Model<OutboxDoc>;
  private readonly inserts: InsertBatcher<OutboxDoc>;

  constructor(connection: Connection) {
    this.model = connection.model<OutboxDoc>('OutboxMessage', schema);
    this.inserts = new InsertBatcher<OutboxDoc>(this.model.collection);
  }

  async send(email: OutgoingEmail): Promise<SendResult> {
    try {
      // A duplicate means this event's message is stored already: sent, once.
      await this.inserts.insert({
        _id: email.idempotencyKey,
        userId: email.userId,
        from: email.from,
        to: email.to,
        subject: email.subject,
        body: packBody(email.html, email.text),
        template: email.template,
        locale: email.locale,
        createdAt: new Date(),
      });
    } catch (error) {
      return {
        ok: false,
        error: {
          statusCode: null,
          name: 'application_error',
          message: String((error as Error).message ?? error),
        },
      };
    }
    return { ok: true, providerId: email.idempotencyKey };
  }

  async get(eventId: string): Promise<OutboxMessage | undefined> {
    const doc = await this.model.findById(eventId).lean<OutboxDoc>().exec();
    return doc ? unpack(doc) : undefined;
  }

  /** Deletes a deleted user's stored messages (they hold address and name). */
  async forget(userId: string): Promise<void> {
    await this.model.deleteMany({ userId }).exec();
  }
}
