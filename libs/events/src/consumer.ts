import type { Logger } from '@guardian/logger';
import type { ConsumerMessages, JsMsg } from 'nats';
import type { EventBus } from './bus.js';
import { fromMessage, MalformedEventError, type GuardianEvent } from './envelope.js';

/** What a handler decides for an expected outcome. Throwing is for the unexpected (retried with backoff). */
export type Decision =
  { kind: 'ack' } | { kind: 'retry'; afterMs: number; reason: string } | { kind: 'drop'; reason: string };

export const ack = (): Decision => ({ kind: 'ack' });
export const retry = (afterMs: number, reason: string): Decision => ({ kind: 'retry', afterMs, reason });
export const drop = (reason: string): Decision => ({ kind: 'drop', reason });

export interface DeliveryInfo {
  deliveryCount: number;
  /** Tells JetStream the handler is still busy (extends the ack deadline). */
  working(): void;
}

export type EventHandler = (event: GuardianEvent, delivery: DeliveryInfo) => Promise<Decision>;

export interface ConsumerOptions {
  durable: string;
  /** Subject filter below the prefix (`biometric.>`); everything when absent. */
  filter?: string;
  /** Deliveries before an event goes to `deadletter.<durable>`. */
  maxDeliver: number;
  ackWaitMs?: number;
  /** Events handled at once (in-flight bound). */
  concurrency?: number;
  /**
   * Messages pulled ahead of the handler (default max(2 × concurrency, 10)). Long jobs pull only what
   * they run, so idle replicas take the rest.
   */
  prefetch?: number;
  handler: EventHandler;
  logger: Logger;
}

/** Backoff for handlers that threw: 1 s, 2 s, 4 s … capped at 60 s. */
export const backoffFor = (deliveryCount: number): number =>
  Math.min(60_000, 1_000 * 2 ** Math.max(0, deliveryCount - 1));

/**
 * A durable pull consumer loop: provisions its consumer idempotently, handles events with bounded
 * concurrency, acks / naks with delay / terms by the handler's decision, moves an event that used up
 * its deliveries (or is not decodable) to the dead-letter subject, and sets itself up again after
 * connection errors.
 */
export class EventConsumer {
  private stopped = false;
  private messages: ConsumerMessages | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly options: ConsumerOptions,
  ) {}

  static async start(bus: EventBus, options: ConsumerOptions): Promise<EventConsumer> {
    await bus.ensureConsumer({
      durable: options.durable,
      ...(options.filter ? { filter: options.filter } : {}),
      maxDeliver: options.maxDeliver,
      ackWaitMs: options.ackWaitMs ?? 30_000,
    });
    const consumer = new EventConsumer(bus, options);
    consumer.loop = consumer.run();
    return consumer;
  }

  private get log(): Logger {
    return this.options.logger;
  }

  private async run(): Promise<void> {
    const concurrency = this.options.concurrency ?? 1;
    while (!this.stopped) {
      try {
        const consumer = await this.bus.js.consumers.get(this.bus.options.stream, this.options.durable);
        this.messages = await consumer.consume({
          max_messages: this.options.prefetch ?? Math.max(concurrency * 2, 10),
        });
        for await (const msg of this.messages) {
          const task = this.handle(msg)
            .catch((error: unknown) => this.log.error({ err: error }, 'event handling failed unexpectedly'))
            .finally(() => this.inflight.delete(task));
          this.inflight.add(task);
          if (this.inflight.size >= concurrency) await Promise.race(this.inflight);
          if (this.stopped) break;
        }
      } catch (error) {
        if (this.stopped) break;
        this.log.warn(
          { err: error, durable: this.options.durable },
          'consumer loop failed; setting up again',
        );
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private async handle(msg: JsMsg): Promise<void> {
    if (msg.subject.startsWith(this.bus.deadLetterSubject(''))) {
      msg.ack();
      return;
    }
    const deliveryCount = msg.info.deliveryCount;
    let event: GuardianEvent;
    try {
      event = fromMessage(msg.headers, msg.data);
    } catch (error) {
      if (!(error instanceof MalformedEventError)) throw error;
      await this.deadLetter(msg, error.message);
      return;
    }
    // Built only when something is logged: most events log nothing, and a child logger costs.
    const log = () =>
      this.log.child({ eventId: event.id, type: event.type, requestId: event.requestId, deliveryCount });
    const ackWaitMs = this.options.ackWaitMs ?? 30_000;
    const keepAlive = setInterval(() => msg.working(), Math.max(1_000, ackWaitMs / 3));
    let decision: Decision;
    try {
      decision = await this.options.handler(event, { deliveryCount, working: () => msg.working() });
    } catch (error) {
      log().error({ err: error }, 'event handler failed');
      decision = retry(backoffFor(deliveryCount), 'handler error');
    } finally {
      clearInterval(keepAlive);
    }
    switch (decision.kind) {
      case 'ack':
        msg.ack();
        return;
      case 'drop':
        log().info({ reason: decision.reason }, 'event dropped');
        msg.term();
        return;
      case 'retry':
        if (deliveryCount >= this.options.maxDeliver) {
          await this.deadLetter(msg, `max deliveries reached: ${decision.reason}`);
          return;
        }
        log().info({ reason: decision.reason, afterMs: decision.afterMs }, 'event will be retried');
        msg.nak(decision.afterMs);
        return;
    }
  }

  /** Republishes the original message under `deadletter.<durable>`, then terminates it. */
  private async deadLetter(msg: JsMsg, reason: string): Promise<void> {
    const headers = msg.headers;
    headers?.set('x-dead-letter-reason', reason.slice(0, 500));
    headers?.set('x-original-subject', msg.subject);
    headers?.set('x-dead-letter-consumer', this.options.durable);
    const id = headers?.get('ce-id') || `seq-${msg.info.streamSequence}`;
    try {
      await this.bus.js.publish(this.bus.deadLetterSubject(this.options.durable), msg.data, {
        msgID: `${id}:${this.options.durable}`,
        ...(headers ? { headers } : {}),
      });
      this.log.warn(
        { eventId: id, reason, durable: this.options.durable },
        'event moved to dead-letter subject',
      );
      msg.term();
    } catch (error) {
      this.log.error({ err: error, eventId: id }, 'dead-lettering failed; will retry');
      msg.nak(5_000);
    }
  }

  /** Stops pulling, lets in-flight handlers finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch(() => undefined);
    await Promise.allSettled(this.inflight);
    await this.loop;
  }
}
