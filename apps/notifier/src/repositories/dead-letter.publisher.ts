import { encodeEvent, toHeaders, type EventBus, type GuardianEvent } from '@guardian/events';

/**
 * Publishes an event the notifier gave up on to `deadletter.<durable>`, the same shape the events
 * kit uses when deliveries run out (original payload and CloudEvents headers plus the reason).
 */
export class DeadLetterPublisher {
  constructor(
    private readonly bus: EventBus,
    private readonly durable: string,
  ) {}

  get subject(): string {
    return this.bus.deadLetterSubject(this.durable);
  }

  async publish(event: GuardianEvent, reason: string): Promise<void> {
    const encoded = encodeEvent(event.type, event.data as never, {
      id: event.id,
      source: event.source,
      subject: event.subject,
      time: event.time,
      ...(event.requestId ? { requestId: event.requestId } : {}),
    });
    const headers = toHeaders(encoded);
    headers.set('x-dead-letter-reason', reason.slice(0, 500));
    headers.set('x-original-subject', this.bus.subject(event.type));
    headers.set('x-dead-letter-consumer', this.durable);
    await this.bus.js.publish(this.subject, encoded.data, { msgID: `${event.id}:${this.durable}`, headers });
  }
}
