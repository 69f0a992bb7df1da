import { describe, expect, it } from 'vitest';

import { applyUserEvent } from './address-book.js';
import { makeContact, makeEvent } from './event-fixtures.js';

const t = (iso: string) => new Date(iso);

describe('applyUserEvent', () => {
  it('creates the contact from a registration', () => {
    const event = makeEvent(
      'identity.user.registered',
      { userId: 'u1', email: 'a@example.com', fullName: 'Ana', username: 'ana', locale: 'es' },
      { time: t('2026-11-02T00:00:00Z') },
    );
    expect(applyUserEvent(undefined, event)).toEqual({
      userId: 'u1',
      email: 'a@example.com',
      name: 'Ana',
      locale: 'es',
      deleted: false,
      updatedAt: t('2026-11-02T00:00:00Z'),
    });
  });

  it('applies a newer update and ignores an older one', () => {
    const current = makeContact({ updatedAt: t('2026-11-10T00:00:00Z') });
    const newer = makeEvent(
      'identity.user.updated',
      { userId: 'u1', email: 'new@example.com', locale: 'en' },
      { time: t('2026-11-11T00:00:00Z') },
    );
    const older = makeEvent(
      'identity.user.updated',
      { userId: 'u1', email: 'old@example.com' },
      { time: t('2026-11-09T00:00:00Z') },
    );
    expect(applyUserEvent(current, newer)).toMatchObject({
      email: 'new@example.com',
      locale: 'en',
      name: 'Maria Souza',
    });
    expect(applyUserEvent(current, older)).toBeUndefined();
  });

  it('forgets the address on deletion and never brings it back', () => {
    const deleted = applyUserEvent(makeContact(), makeEvent('identity.user.deleted', { userId: 'u1' }));
    expect(deleted).toMatchObject({ userId: 'u1', email: '', name: '', deleted: true });
    const late = makeEvent(
      'identity.user.updated',
      { userId: 'u1', email: 'back@example.com' },
      { time: t('2030-01-01T00:00:00Z') },
    );
    expect(applyUserEvent(deleted, late)).toBeUndefined();
    expect(
      applyUserEvent(
        deleted,
        makeEvent('identity.user.registered', { userId: 'u1', email: 'x@example.com' }),
      ),
    ).toBeUndefined();
    expect(applyUserEvent(deleted, makeEvent('identity.user.deleted', { userId: 'u1' }))).toBeUndefined();
  });

  it('ignores a registration replayed after later changes', () => {
    expect(
      applyUserEvent(
        makeContact(),
        makeEvent('identity.user.registered', { userId: 'u1', email: 'x@example.com' }),
      ),
    ).toBeUndefined();
  });
});
