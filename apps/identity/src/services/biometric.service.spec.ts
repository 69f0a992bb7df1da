import type { PendingEvent } from '@guardian/events';
import { describe, expect, it } from 'vitest';
import type { UserRecord, UserRepository } from '../repositories/user.repository.js';
import { BiometricSummaryService } from './biometric.service.js';
import { eventFactory } from './events.js';

/** A hand-made fake of the two repository methods the service uses, honouring the guard. */
function fakeUsers(initial: Partial<UserRecord>) {
  const user = {
    _id: 'u1',
    username: 'ana',
    email: 'ana@example.com',
    fullName: 'Ana',
    locale: 'pt-BR',
    role: 'user',
    status: 'active',
    biometric: { enrolled: false, enrolledAt: null, modelId: '', sampleCount: 0, eventTime: null },
    ...initial,
  } as UserRecord;
  const queued: PendingEvent[] = [];
  const repo = {
    findById: async (id: string) => (id === user._id ? structuredClone(user) : null),
    update: async (
      _id: string,
      update: { $set: Partial<UserRecord> },
      events: PendingEvent[] = [],
      guard: Record<string, unknown> = {},
    ) => {
      const expected = guard['biometric.eventTime'];
      if (
        expected !== undefined &&
        (expected as Date | null)?.getTime?.() !== user.biometric.eventTime?.getTime?.()
      )
        return null;
      Object.assign(user, update.$set);
      queued.push(...events);
      return structuredClone(user);
    },
  } as unknown as UserRepository;
  return { repo, user, queued };
}

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

describe('BiometricSummaryService', () => {
  describe('apply', () => {
    it('records an enrollment, and activates a pending face-only account with one user.updated event', async () => {
      const { repo, user, queued } = fakeUsers({ status: 'pending_enrollment' });
      const service = new BiometricSummaryService(repo, eventFactory('test'));
      expect(
        await service.apply({
          kind: 'enrolled',
          userId: 'u1',
          modelId: 'm',
          sampleCount: 3,
          at: t(1),
          eventId: 'e1',
        }),
      ).toBe('applied');
      expect(user.status).toBe('active');
      expect(user.biometric).toMatchObject({ enrolled: true, modelId: 'm', sampleCount: 3, eventTime: t(1) });
      expect(queued.map((e) => e.type)).toEqual(['identity.user.updated']);
    });
    it('ignores a redelivered or older event (idempotent, order-safe)', async () => {
      const { repo, user, queued } = fakeUsers({});
      const service = new BiometricSummaryService(repo, eventFactory('test'));
      await service.apply({
        kind: 'enrolled',
        userId: 'u1',
        modelId: 'm',
        sampleCount: 3,
        at: t(5),
        eventId: 'e1',
      });
      expect(
        await service.apply({
          kind: 'enrolled',
          userId: 'u1',
          modelId: 'm',
          sampleCount: 3,
          at: t(5),
          eventId: 'e1',
        }),
      ).toBe('stale');
      expect(await service.apply({ kind: 'removed', userId: 'u1', at: t(4), eventId: 'e0' })).toBe('stale');
      expect(user.biometric.enrolled).toBe(true);
      expect(await service.apply({ kind: 'removed', userId: 'u1', at: t(6), eventId: 'e2' })).toBe('applied');
      expect(user.biometric).toMatchObject({ enrolled: false, eventTime: t(6) });
      expect(queued).toHaveLength(0); // an active account emits nothing for biometric changes
    });
    it('answers unknown_user for users it does not have', async () => {
      const { repo } = fakeUsers({});
      expect(
        await new BiometricSummaryService(repo, eventFactory('test')).apply({
          kind: 'removed',
          userId: 'nobody',
          at: t(1),
          eventId: 'e',
        }),
      ).toBe('unknown_user');
    });
  });
});
