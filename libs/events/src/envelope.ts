import { randomUUID } from 'node:crypto';
import { REQUEST_ID_KEY } from '@guardian/logger';
import { headers as natsHeaders, type MsgHdrs } from 'nats';
import { decodePayload, encodePayload, isEventType, type EventPayload, type EventType } from './catalogue.js';

/** An event as handlers see it: CloudEvents attributes plus the decoded protobuf payload. */
export interface GuardianEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  source: string;
  time: Date;
  /** CloudEvents `subject`: what the event is about, usually a user id. */
  subject: string;
  requestId?: string;
  data: EventPayload<T>;
}

/** An event ready to publish: attributes and the encoded payload (what pendingEvents stores). */
export interface EncodedEvent {
  id: string;
  type: EventType;
  source: string;
  time: Date;
  subject: string;
  requestId?: string;
  data: Uint8Array;
}

export const CONTENT_TYPE = 'application/protobuf';

export function encodeEvent<T extends EventType>(
  type: T,
  data: EventPayload<T>,
  attributes: { source: string; subject: string; requestId?: string; id?: string; time?: Date },
): EncodedEvent {
  return {
    id: attributes.id ?? randomUUID(),
    type,
    source: attributes.source,
    time: attributes.time ?? new Date(),
    subject: attributes.subject,
    ...(attributes.requestId ? { requestId: attributes.requestId } : {}),
    data: encodePayload(type, data),
  };
}

/** CloudEvents 1.0 binary-mode headers (the payload is the message body). */
export function toHeaders(event: EncodedEvent): MsgHdrs {
  const hdrs = natsHeaders();
  hdrs.set('ce-specversion', '1.0');
  hdrs.set('ce-id', event.id);
  hdrs.set('ce-type', event.type);
  hdrs.set('ce-source', event.source);
  hdrs.set('ce-time', event.time.toISOString());
  hdrs.set('ce-subject', event.subject);
  hdrs.set('content-type', CONTENT_TYPE);
  if (event.requestId) hdrs.set(REQUEST_ID_KEY, event.requestId);
  return hdrs;
}

export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
}

/** Reads an event back from headers + body; throws MalformedEventError for anything not ours. */
export function fromMessage(hdrs: MsgHdrs | undefined, body: Uint8Array): GuardianEvent {
  const get = (key: string) => hdrs?.get(key) ?? '';
  const type = get('ce-type');
  const id = get('ce-id');
  if (!id || !isEventType(type)) throw new MalformedEventError(`not a Guardian event (type "${type}")`);
  let data: EventPayload<typeof type>;
  try {
    data = decodePayload(type, body);
  } catch (error) {
    throw new MalformedEventError(`undecodable ${type} payload: ${String(error)}`);
  }
  const time = new Date(get('ce-time'));
  const requestId = get(REQUEST_ID_KEY);
  return {
    id,
    type,
    source: get('ce-source'),
    time: Number.isNaN(time.getTime()) ? new Date(0) : time,
    subject: get('ce-subject'),
    ...(requestId ? { requestId } : {}),
    data,
  } as GuardianEvent;
}
