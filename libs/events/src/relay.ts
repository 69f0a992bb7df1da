import type { Logger } from '@guardian/logger';
import { type mongo, Schema, type Model } from 'mongoose';
import type { EventBus } from './bus.js';
import type { EventPayload, EventType } from './catalogue.js';
import { encodeEvent, type EncodedEvent } from './envelope.js';

/** How an event waits on its document until the relay has published it (DESIGN.md §4). */
export interface PendingEvent {
  id: string;
  type: EventType;
  source: string;
  time: Date;
  subject: string;
  requestId?: string;
  data: Buffer;
}

/** The `pendingEvents` field to add to a mongoose schema whose documents emit events. */
export const pendingEventsField = {
  type: [
    new Schema<PendingEvent>(
      {
        id: { type: String, required: true },
        type: { type: String, required: true },
        source: { type: String, required: true },
        time: { type: Date, required: true },
        subject: { type: String, required: true },
        requestId: { type: String },
        data: { type: Buffer, required: true },
      },
      { _id: false },
    ),
  ],
  default: [],
  select: false,
};

/**
 * An event to write in the same update as the state change that causes it:
 * `{ $set: {...change}, $push: { pendingEvents: pendingEvent(...) } }` or `doc.pendingEvents.push(...)`.
 */
export function pendingEvent<T extends EventType>(
  type: T,
  data: EventPayload<T>,
  attributes: { source: string; subject: string; requestId?: string },
): PendingEvent {
  const encoded = encodeEvent(type, data, attributes);
  return { ...encoded, data: Buffer.from(encoded.data) };
}

/** A pending event as the driver returns it (`data` is BSON Binary). */
type StoredPendingEvent = Omit<PendingEvent, 'data'> & { data: Binary };

const fromStored = (event: StoredPendingEvent): EncodedEvent => ({
  id: event.id,
  type: event.type,
  source: event.source,
  time: event.time,
  subject: event.subject,
  ...(event.requestId ? { requestId: event.requestId } : {}),
  data: event.data.buffer,
});

type Binary = mongo.Binary;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

/**
 * Publishes what documents hold in `pendingEvents` (with `Nats-Msg-Id` = event id), then removes each
 * published event from its document. Runs at start-up, every `intervalMs`, and soon after `kick()`.
 * Several replicas may relay at once: JetStream drops the duplicate publishes.
 */
export class PendingEventsRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly bus: EventBus,
    private readonly models: AnyModel[],
    private readonly logger: Logger,
    private readonly options: { intervalMs?: number; batchSize?: number } = {},
  ) {}

  start(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs ?? 5_000);
    this.timer.unref();
  }

  /** Ask for a sweep now (after a write that queued events). */
  kick(): void {
    void this.sweep();
  }

  /** Publishes everything pending; resolves with how many events were published. */
  sweep(): Promise<number> {
    if (this.stopped) return Promise.resolve(0);
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let published = 0;
      try {
        do {
          this.again = false;
          for (const model of this.models) published += await this.sweepModel(model);
        } while (this.again && !this.stopped);
      } catch (error) {
        this.logger.warn({ err: error }, 'relay could not publish pending events; will retry');
      } finally {
        this.running = undefined;
      }
      return published;
    })();
    return this.running;
  }

  private async sweepModel(model: AnyModel): Promise<number> {
    let published = 0;
    // The raw driver, not mongoose: the element must go back to $pull exactly as stored, because
    // FerretDB 1.x's $pull only removes elements equal to the given value (no query conditions).
    const docs = await model.collection
      .find<{ _id: unknown; pendingEvents: StoredPendingEvent[] }>(
        { 'pendingEvents.0': { $exists: true } },
        { projection: { _id: 1, pendingEvents: 1 }, limit: this.options.batchSize ?? 500 },
      )
      .toArray();
    for (const doc of docs) {
      for (const stored of doc.pendingEvents) {
        await this.bus.publishEncoded(fromStored(stored));
        await model.collection.updateOne(
          { _id: doc._id } as never,
          { $pull: { pendingEvents: stored } } as never,
        );
        published++;
      }
    }
    return published;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
