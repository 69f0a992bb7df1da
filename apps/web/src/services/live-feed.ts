import { fromMessage, type EventBus, type GuardianEvent } from '@guardian/events';
import type { Logger } from '@guardian/logger';
import { DeliverPolicy, type ConsumerMessages } from 'nats';

/** One row of the live login-attempts feed. */
export interface FeedEvent {
  /** JetStream stream sequence: orders events across BFF replicas; the SSE event id. */
  seq: number;
  eventId: string;
  type: 'identity.login.succeeded' | 'identity.login.failed' | 'identity.account.locked';
  outcome: 'succeeded' | 'failed' | 'locked';
  at: string;
  userId: string;
  /** The account's role at the time ('' when the identifier matched no account). */
  role: string;
  identifier: string;
  method: string;
  reason: string;
  attemptCount: number;
  ip: string;
  userAgent: string;
  lockedUntil?: string;
}

type Listener = (event: FeedEvent) => void;

const FEED_TYPES = new Set(['identity.login.succeeded', 'identity.login.failed', 'identity.account.locked']);

/** Turns a login event into a feed row (undefined for other events). */
export function toFeedEvent(event: GuardianEvent, seq: number): FeedEvent | undefined {
  if (!FEED_TYPES.has(event.type)) return undefined;
  const data = event.data as {
    userId?: string;
    role?: string;
    identifier?: string;
    method?: string;
    channel?: string;
    reason?: string;
    attemptCount?: number;
    client?: { ip?: string; userAgent?: string };
    at?: Date;
    lockedUntil?: Date;
  };
  const outcome =
    event.type === 'identity.login.succeeded'
      ? 'succeeded'
      : event.type === 'identity.login.failed'
        ? 'failed'
        : 'locked';
  return {
    seq,
    eventId: event.id,
    type: event.type as FeedEvent['type'],
    outcome,
    at: (data.at ?? event.time).toISOString(),
    userId: data.userId ?? event.subject,
    role: data.role ?? '',
    identifier: data.identifier ?? '',
    method: data.method ?? data.channel ?? '',
    reason: data.reason ?? '',
    attemptCount: data.attemptCount ?? 0,
    ip: data.client?.ip ?? '',
    userAgent: data.client?.userAgent ?? '',
    ...(data.lockedUntil ? { lockedUntil: data.lockedUntil.toISOString() } : {}),
  };
}

/**
 * Login attempts for the dashboard: every BFF process reads `identity.>` with its own ordered
 * (ephemeral) consumer, starting `backfillMs` in the past, keeps the newest `capacity` rows in
 * memory and tells subscribers about new ones.
 */
export class LiveFeed {
  private readonly rows: FeedEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly capacity = 2_000) {}

  push(row: FeedEvent): void {
    const last = this.rows.at(-1);
    if (last && row.seq <= last.seq) return; // replays after a consumer reset
    this.rows.push(row);
    if (this.rows.length > this.capacity) this.rows.splice(0, this.rows.length - this.capacity);
    for (const listener of this.listeners) listener(row);
  }

  /** Newest first. */
  recent(
    options: { userId?: string | undefined; limit?: number; where?: (row: FeedEvent) => boolean } = {},
  ): FeedEvent[] {
    const out: FeedEvent[] = [];
    for (let i = this.rows.length - 1; i >= 0 && out.length < (options.limit ?? 50); i--) {
      const row = this.rows[i]!;
      if ((!options.userId || row.userId === options.userId) && (options.where?.(row) ?? true)) out.push(row);
    }
    return out;
  }

  /** Oldest first: rows after `seq` (for a client resuming with Last-Event-ID). */
  since(seq: number): FeedEvent[] {
    return this.rows.filter((row) => row.seq > seq);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.rows.length;
  }

  /** Starts reading the stream; resolves once the consumer exists (the back-fill streams in after). */
  async start(bus: EventBus, options: { backfillMs: number; logger: Logger }): Promise<void> {
    const consumer = await bus.js.consumers.get(bus.options.stream, {
      filterSubjects: bus.subject('identity.>'),
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(Date.now() - options.backfillMs).toISOString(),
    });
    this.messages = await consumer.consume();
    const messages = this.messages;
    this.loop = (async () => {
      try {
        for await (const msg of messages) {
          try {
            const row = toFeedEvent(fromMessage(msg.headers, msg.data), msg.seq);
            if (row) this.push(row);
          } catch (error) {
            options.logger.debug({ err: error, subject: msg.subject }, 'live feed skipped a message');
          }
        }
      } catch (error) {
        if (!this.stopped) options.logger.error({ err: error }, 'live feed consumer stopped');
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listeners.clear();
    await this.messages?.close().catch(() => undefined);
    await this.loop;
  }
}
