import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';

interface ProcessedEvent {
  _id: string;
  consumer: string;
  type: string;
  processedAt: Date;
}

/**
 * Consumer-side dedupe: remembers which event ids a consumer has fully handled, in the consuming
 * service's own database. JetStream delivers at least once; `once` makes handling effectively once
 * for handlers whose effect is not naturally idempotent.
 */
export class EventLedger {
  private readonly model: Model<ProcessedEvent>;

  constructor(
    connection: Connection,
    private readonly consumer: string,
  ) {
    this.model =
      (connection.models.ProcessedEvent as Model<ProcessedEvent> | undefined) ??
      connection.model<ProcessedEvent>(
        'ProcessedEvent',
        new Schema<ProcessedEvent>(
          { _id: String, consumer: String, type: String, processedAt: Date },
          { collection: 'processed_events', versionKey: false },
        ),
      );
  }

  private key(eventId: string): string {
    return `${this.consumer}:${eventId}`;
  }

  async seen(eventId: string): Promise<boolean> {
    return (await this.model.exists({ _id: this.key(eventId) })) !== null;
  }

  async remember(eventId: string, type: string): Promise<void> {
    await this.model.updateOne(
      { _id: this.key(eventId) },
      { $setOnInsert: { consumer: this.consumer, type, processedAt: new Date() } },
      { upsert: true },
    );
  }

  /** Runs `effect` unless this event was handled before; returns whether it ran. */
  async once(eventId: string, type: string, effect: () => Promise<void>): Promise<boolean> {
    if (await this.seen(eventId)) return false;
    await effect();
    await this.remember(eventId, type);
    return true;
  }
}
