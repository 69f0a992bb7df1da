import { randomUUID } from 'node:crypto';

import { CATALOGUE, type EventPayload, type EventType, type GuardianEvent } from '@guardian/events';

import type { Contact } from './address-book.js';

/** A decoded event as the consumer hands it over; payload defaults filled like protobuf decoding does. */
export function makeEvent<T extends EventType>(
  type: T,
  data: Partial<EventPayload<T>>,
  options: { id?: string; time?: Date } = {},
): GuardianEvent<T> {
  const codec = CATALOGUE[type] as unknown as { fromPartial(p: unknown): EventPayload<T> };
  return {
    id: options.id ?? randomUUID(),
    type,
    source: 'guardian/test',
    time: options.time ?? new Date('2026-11-21T12:00:00Z'),
    subject: String((data as { userId?: string }).userId ?? ''),
    data: codec.fromPartial(data),
  };
}

export function makeContact(overrides: Partial<Contact> = {}): Contact {
  return {
    userId: 'u1',
    email: 'maria@example.com',
    name: 'Maria Souza',
    locale: 'pt-BR',
    deleted: false,
    updatedAt: new Date('2026-11-01T00:00:00Z'),
    ...overrides,
  };
}
