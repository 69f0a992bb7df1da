import { pendingEvent, type EventPayload, type EventType, type PendingEvent } from '@guardian/events';

/** Builds the events a state change queues on its document, with the call's request id. */
export interface EventFactory {
  make<T extends EventType>(
    type: T,
    data: EventPayload<T>,
    subject: string,
    requestId?: string,
  ): PendingEvent;
}

/** Events are queued on the document they belong to; its repository announces the write to the relay. */
export function eventFactory(source: string): EventFactory {
  return {
    make: (type, data, subject, requestId) =>
      pendingEvent(type, data, { source, subject, ...(requestId ? { requestId } : {}) }),
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
