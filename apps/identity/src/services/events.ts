import {
  pendingEvent,
  type EventPayload,
  type EventType,
  type PendingEvent,
  type QueuedAt,
} from '@guardian/events';

/** Builds the events a state change queues on its document, with the call's request id. */
export interface EventFactory {
  make<T extends EventType>(
    type: T,
    data: EventPayload<T>,
    subject: string,
    requestId?: string,
  ): PendingEvent;
  /**
   * Tells the relay that something was queued (publish soon rather than at the next sweep): in
   * which documents, or, when none are named, somewhere (a full sweep).
   */
  queued(...where: QueuedAt[]): void;
}

export function eventFactory(
  source: string,
  onQueued: (...where: QueuedAt[]) => void = () => undefined,
): EventFactory {
  return {
    make: (type, data, subject, requestId) =>
      pendingEvent(type, data, { source, subject, ...(requestId ? { requestId } : {}) }),
    queued: onQueued,
  };
}

export interface ClientContext {
  ip: string;
  userAgent: string;
}

export const clientOf = (client: { ip?: string; userAgent?: string } | undefined): ClientContext => ({
  ip: (client?.ip ?? '').slice(0, 64),
  userAgent: (client?.userAgent ?? '').slice(0, 512),
});
