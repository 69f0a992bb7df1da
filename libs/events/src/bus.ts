import type { Logger } from '@guardian/logger';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  nanos,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
} from 'nats';
import { STREAM_SUBJECT_ROOTS, type EventType } from './catalogue.js';
import { encodeEvent, toHeaders, type EncodedEvent } from './envelope.js';
import type { EventPayload } from './catalogue.js';

export interface EventBusOptions {
  url: string;
  /** The one stream (DESIGN.md §3), `GUARDIAN` in production. */
  stream: string;
  /** Prepended to every subject (empty in production; a unique `t<id>.` per test). */
  prefix: string;
  /** CloudEvents `source` of what this process publishes, e.g. `guardian/identity`. */
  source: string;
  logger: Logger;
  name?: string;
}

/** How long JetStream remembers a `Nats-Msg-Id` to drop a republished duplicate. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

/**
 * The process's link to NATS JetStream: provisions the stream idempotently, publishes events with
 * `Nats-Msg-Id` = event id and CloudEvents headers. Reconnects forever; publishing while NATS is
 * down fails fast so callers (the relay) keep the event and retry.
 */
export class EventBus {
  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly options: EventBusOptions,
  ) {}

  static async connect(options: EventBusOptions): Promise<EventBus> {
    const nc = await connect({
      servers: options.url,
      name: options.name ?? options.source,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: true,
    });
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect' || status.type === 'reconnect') {
          options.logger.warn({ nats: status.type, data: status.data }, 'NATS connection status');
        }
      }
    })();
    const jsm = await nc.jetstreamManager({ timeout: 5_000 });
    const bus = new EventBus(nc, nc.jetstream({ timeout: 5_000 }), jsm, options);
    await bus.ensureStream();
    return bus;
  }

  subject(type: EventType | string): string {
    return `${this.options.prefix}${type}`;
  }

  deadLetterSubject(durable: string): string {
    return `${this.options.prefix}deadletter.${durable}`;
  }

  /** Creates the stream, or updates its subjects when they changed. Safe to run from every replica. */
  async ensureStream(): Promise<void> {
    const subjects = STREAM_SUBJECT_ROOTS.map((root) => `${this.options.prefix}${root}.>`);
    const config = {
      name: this.options.stream,
      subjects,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      max_age: nanos(30 * 24 * 3600_000),
    };
    try {
      const info = await this.jsm.streams.info(this.options.stream);
      const missing = subjects.filter((subject) => !info.config.subjects.includes(subject));
      if (missing.length > 0) {
        await this.jsm.streams.update(this.options.stream, {
          ...info.config,
          subjects: [...info.config.subjects, ...missing],
        });
      }
    } catch (error) {
      if (!String((error as Error).message).includes('stream not found')) throw error;
      await this.jsm.streams.add(config);
      this.options.logger.info({ stream: this.options.stream, subjects }, 'stream created');
    }
  }

  /** Creates or updates a durable pull consumer. Workers only look it up (`EventConsumer`). */
  async ensureConsumer(options: {
    durable: string;
    /** A subject filter below the prefix, e.g. `biometric.>`; all subjects when absent. */
    filter?: string;
    maxDeliver: number;
    ackWaitMs: number;
    /** Redelivery delays for messages that were not acked in time (not for explicit naks). */
    backoffMs?: number[];
  }): Promise<void> {
    const config = {
      durable_name: options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: options.filter ? this.subject(options.filter) : `${this.options.prefix}>`,
      max_deliver: options.maxDeliver,
      ack_wait: nanos(options.ackWaitMs),
      max_ack_pending: 1_000,
      ...(options.backoffMs?.length ? { backoff: options.backoffMs.map((ms) => nanos(ms)) } : {}),
    };
    try {
      await this.jsm.consumers.info(this.options.stream, options.durable);
      await this.jsm.consumers.update(this.options.stream, options.durable, config);
    } catch (error) {
      if (!String((error as Error).message).includes('consumer not found')) throw error;
      await this.jsm.consumers.add(this.options.stream, config);
    }
  }

  /** Publishes an already-encoded event (idempotent by id within the duplicate window). */
  async publishEncoded(event: EncodedEvent, timeoutMs = 5_000): Promise<{ duplicate: boolean; seq: number }> {
    const ack = await this.js.publish(this.subject(event.type), event.data, {
      msgID: event.id,
      headers: toHeaders(event),
      timeout: timeoutMs,
    });
    return { duplicate: ack.duplicate, seq: ack.seq };
  }

  /** Encodes and publishes. For state changes use the pendingEvents relay instead (nothing lost). */
  async publish<T extends EventType>(
    type: T,
    data: EventPayload<T>,
    attributes: { subject: string; requestId?: string; id?: string },
  ): Promise<EncodedEvent> {
    const event = encodeEvent(type, data, { ...attributes, source: this.options.source });
    await this.publishEncoded(event);
    return event;
  }

  get connected(): boolean {
    return !this.nc.isClosed() && this.nc.info !== undefined;
  }

  /** Flushes pending publishes and closes (subscriptions are drained by their consumers first). */
  async drain(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}
