import type { Logger } from '@guardian/logger';
import { mongo, Schema, type Model } from 'mongoose';
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

/** An event's envelope with `data` in the given form, fields in the schema's order (data last). */
const withData = <D>(event: Omit<PendingEvent, 'data'>, data: D) => ({
  id: event.id,
  type: event.type,
  source: event.source,
  time: event.time,
  subject: event.subject,
  ...(event.requestId ? { requestId: event.requestId } : {}),
  data,
});

const fromStored = (event: StoredPendingEvent): EncodedEvent => withData(event, event.data.buffer);

type Binary = mongo.Binary;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

/**
 * Where a write queued events: a collection and the ids of the documents it wrote. A write of one
 * document may also hand over the `events` it queued there, so the relay publishes them without
 * reading the document back.
 */
export interface QueuedAt {
  collection: string;
  ids: readonly unknown[];
  events?: readonly PendingEvent[];
}

/**
 * How a repository tells the relay it queued events (publish soon rather than at the next sweep):
 * a repository writing `pendingEvents` announces its own writes; services never name collections.
 */
export type Announce = (...where: QueuedAt[]) => void;

/** For repositories used without a relay (unit tests): nothing to tell. */
export const announceNothing: Announce = () => undefined;

/** An event waiting in a document, to publish. */
interface Due {
  model: AnyModel;
  id: unknown;
  event: StoredPendingEvent;
}

/**
 * A pending event exactly as mongoose stores it (schema field order, BSON Binary data), which is
 * what FerretDB 1.x's `$pull` needs to find it.
 */
const asStored = (event: PendingEvent): StoredPendingEvent => withData(event, new mongo.Binary(event.data));

/**
 * Publishes what documents hold in `pendingEvents` (with `Nats-Msg-Id` = event id), then removes each
 * published event from its document. A full sweep (every collection, every document with pending
 * events) runs at start-up, every `intervalMs` and on a bare `kick()`; `kick(where)` publishes just
 * the documents a write names, read by id, so a busy service does not scan its collections after
 * every write. Several replicas may relay at once: JetStream drops the duplicate publishes.
 */
export class PendingEventsRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private again = false;
  private stopped = false;
  private fullSweepDue = false;
  /** Documents to publish, by model; with the events a write handed over, or undefined: read them. */
  private readonly targeted = new Map<AnyModel, Map<unknown, readonly PendingEvent[] | undefined>>();

  private readonly models: AnyModel[];

  constructor(
    private readonly bus: EventBus,
    models: AnyModel[],
    private readonly logger: Logger,
    private readonly options: { intervalMs?: number; batchSize?: number } = {},
  ) {
    this.models = [...models];
  }

  /**
   * Adds the collections whose `pendingEvents` it publishes (the relay exists before the service's
   * repositories, which announce to it; it learns their models once they are built).
   */
  watch(models: AnyModel[]): void {
    for (const model of models) if (!this.models.includes(model)) this.models.push(model);
  }

  /** `kick` as a function repositories can hold. */
  readonly announce: Announce = (...where) => this.kick(...where);

  start(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs ?? 5_000);
    this.timer.unref();
  }

  /**
   * Ask for a publish now (after a write that queued events): of the named documents, or when the
   * write names none, a full sweep. A document named here that a crash leaves unpublished is
   * still found by the next full sweep.
   */
  kick(...where: QueuedAt[]): void {
    if (where.length === 0) {
      void this.sweep();
      return;
    }
    for (const { collection, ids, events } of where) {
      const model = this.models.find((m) => m.collection.collectionName === collection);
      if (!model) {
        this.fullSweepDue = true;
        continue;
      }
      const documents = this.targeted.get(model) ?? new Map();
      const known = ids.length === 1 && events?.length ? events : undefined;
      for (const id of ids) {
        // Two writes to one document before the relay gets to it: read what it holds.
        documents.set(id, documents.has(id) || !known ? undefined : known);
      }
      this.targeted.set(model, documents);
    }
    void this.run();
  }

  /** Publishes everything pending; resolves with how many events were published. */
  sweep(): Promise<number> {
    this.fullSweepDue = true;
    return this.run();
  }

  private run(): Promise<number> {
    if (this.stopped) return Promise.resolve(0);
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      // Yield first: with nothing to read this would otherwise finish (and clear `running`)
      // before `running` is even assigned, leaving it set for good and the relay silent.
      await Promise.resolve();
      let published = 0;
      try {
        do {
          this.again = false;
          const due: Due[] = [];
          for (const [model, documents] of [...this.targeted]) {
            this.targeted.delete(model);
            for (const [id, events] of documents) {
              const stored = events ? events.map(asStored) : await this.pendingOf(model, id);
              for (const event of stored) due.push({ model, id, event });
            }
          }
          if (this.fullSweepDue) {
            this.fullSweepDue = false;
            for (const model of this.models) due.push(...(await this.pendingIn(model)));
          }
          published += await this.publishInOrder(due);
        } while ((this.again || this.targeted.size > 0 || this.fullSweepDue) && !this.stopped);
      } catch (error) {
        this.logger.warn({ err: error }, 'relay could not publish pending events; will retry');
      } finally {
        this.running = undefined;
      }
      return published;
    })();
    return this.running;
  }

  /** The pending events of a model's documents (a batch of documents). */
  private async pendingIn(model: AnyModel): Promise<Due[]> {
    // The raw driver, not mongoose: the element must go back to $pull exactly as stored, because
    // FerretDB 1.x's $pull only removes elements equal to the given value (no query conditions).
    const docs = await model.collection
      .find<{ _id: unknown; pendingEvents: StoredPendingEvent[] }>(
        { 'pendingEvents.0': { $exists: true } },
        { projection: { _id: 1, pendingEvents: 1 }, limit: this.options.batchSize ?? 500 },
      )
      .toArray();
    return docs.flatMap((doc) => doc.pendingEvents.map((event) => ({ model, id: doc._id, event })));
  }

  private async pendingOf(model: AnyModel, id: unknown): Promise<StoredPendingEvent[]> {
    const doc = await model.collection.findOne<{ _id: unknown; pendingEvents?: StoredPendingEvent[] }>(
      { _id: id } as never,
      { projection: { _id: 1, pendingEvents: 1 } },
    );
    return doc?.pendingEvents ?? [];
  }

  /**
   * Publishes in the order the events happened, whatever collection holds them (a user's
   * registration before the sign-in that followed it, though sessions were announced first), then
   * removes each from its document. One event met twice (announced and swept) goes out once.
   */
  private async publishInOrder(due: Due[]): Promise<number> {
    const seen = new Set<string>();
    const ordered = due
      .filter(({ event }) => !seen.has(event.id) && seen.add(event.id))
      .sort((a, b) => new Date(a.event.time).getTime() - new Date(b.event.time).getTime());
    for (const { model, id, event } of ordered) {
      await this.bus.publishEncoded(fromStored(event));
      await model.collection.updateOne({ _id: id } as never, { $pull: { pendingEvents: event } } as never);
    }
    return ordered.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
