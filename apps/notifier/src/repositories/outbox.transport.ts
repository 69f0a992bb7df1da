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

const schema = new Schema<OutboxMessage>(
  {
    _id: String,
    userId: { type: String, index: true },
    from: String,
    to: String,
    subject: String,
    html: String,
    text: String,
    template: String,
    locale: String,
    createdAt: Date,
  },
  { collection: 'outbox', versionKey: false },
);

/**
 * The development transport: stores the rendered message in MongoDB (`outbox`, keyed by the event
 * id) instead of sending it, for the dashboard and for tests. Storing twice is a no-op.
 */
export class OutboxTransport implements MailTransport {
  readonly name = 'outbox' as const;
  readonly model: Model<OutboxMessage>;
  private readonly inserts: InsertBatcher<OutboxMessage>;

  constructor(connection: Connection) {
    this.model = connection.model<OutboxMessage>('OutboxMessage', schema);
    this.inserts = new InsertBatcher<OutboxMessage>(this.model.collection);
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
        html: email.html,
        text: email.text,
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
    return (await this.model.findById(eventId).lean<OutboxMessage>().exec()) ?? undefined;
  }

  /** Deletes a deleted user's stored messages (they hold address and name). */
  async forget(userId: string): Promise<void> {
    await this.model.deleteMany({ userId }).exec();
  }
}
