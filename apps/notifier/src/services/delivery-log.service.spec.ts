import { describe, expect, it } from 'vitest';

import type { ListFilter, NotificationRecord } from '../repositories/notification.repository.js';
import {
  decodePageToken,
  DeliveryLogService,
  encodePageToken,
  resolveSubject,
  toListFilter,
  type ListQuery,
} from './delivery-log.service.js';
import { DEFAULT_PREFERENCES, type Preferences } from './notification-policy.js';

const user = { userId: 'u1', role: 'user' as const };
const admin = { userId: 'a1', role: 'admin' as const };
const query = (overrides: Partial<ListQuery> = {}): ListQuery => ({
  userId: '',
  statuses: [],
  templates: [],
  pageSize: 0,
  pageToken: '',
  ...overrides,
});

function record(i: number, userId = 'u1'): NotificationRecord {
  return {
    eventId: `e${String(i).padStart(3, '0')}`,
    eventType: 'identity.login.succeeded',
    userId,
    template: 'login_succeeded',
    locale: 'en',
    status: 'sent',
    recipient: 'x@example.com',
    subject: 's',
    transport: 'outbox',
    providerId: '',
    attempts: 1,
    lastError: '',
    suppressedReason: '',
    digestCount: 0,
    createdAt: new Date(1_000_000 - i * 1000),
    updatedAt: new Date(),
    sentAt: null,
  };
}

/** An in-memory delivery log that honours the filter like the repository does. */
function fakes(records: NotificationRecord[]) {
  const prefs = new Map<string, Preferences>();
  return {
    notifications: {
      async list(filter: ListFilter) {
        return records
          .filter((r) => !filter.userId || r.userId === filter.userId)
          .filter(
            (r) =>
              !filter.before ||
              r.createdAt < filter.before.createdAt ||
              (r.createdAt.getTime() === filter.before.createdAt.getTime() &&
                r.eventId < filter.before.eventId),
          )
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
          .slice(0, filter.limit);
      },
      async getWithMessage(eventId: string) {
        const record = records.find((r) => r.eventId === eventId);
        return record && { record, message: undefined };
      },
    },
    preferences: {
      async get(userId: string) {
        return prefs.get(userId) ?? { ...DEFAULT_PREFERENCES };
      },
      async update(userId: string, changes: Partial<Preferences>) {
        const next = { ...(prefs.get(userId) ?? DEFAULT_PREFERENCES), ...changes };
        prefs.set(userId, next);
        return next;
      },
    },
  };
}

describe('resolveSubject', () => {
  it('lets users name only themselves and admins anyone', () => {
    expect(resolveSubject(user, '')).toBe('u1');
    expect(resolveSubject(user, 'u1')).toBe('u1');
    expect(() => resolveSubject(user, 'u2')).toThrow(expect.objectContaining({ kind: 'forbidden' }));
    expect(resolveSubject(admin, 'u2')).toBe('u2');
    expect(resolveSubject({ userId: 'm', role: 'master' }, 'u2')).toBe('u2');
  });
});

describe('toListFilter', () => {
  it('limits users to their own records and lets admins list everyone', () => {
    expect(toListFilter(user, query()).userId).toBe('u1');
    expect(toListFilter(admin, query()).userId).toBeUndefined();
    expect(toListFilter(admin, query({ userId: 'u7' })).userId).toBe('u7');
  });

  it('rejects bad page sizes, unknown templates and forged page tokens', () => {
    expect(() => toListFilter(user, query({ pageSize: 500 }))).toThrow(
      expect.objectContaining({ reason: 'INVALID_PAGE_SIZE' }),
    );
    expect(() => toListFilter(user, query({ templates: ['nope'] }))).toThrow(
      expect.objectContaining({ reason: 'UNKNOWN_TEMPLATE' }),
    );
    expect(() => toListFilter(user, query({ pageToken: 'garbage' }))).toThrow(
      expect.objectContaining({ reason: 'INVALID_PAGE_TOKEN' }),
    );
  });

  it('defaults the page size', () => {
    expect(toListFilter(user, query()).limit).toBe(50);
  });
});

describe('page tokens', () => {
  it('round-trip', () => {
    const r = record(3);
    expect(decodePageToken(encodePageToken(r))).toEqual({ createdAt: r.createdAt, eventId: r.eventId });
  });
});

describe('DeliveryLogService', () => {
  describe('list', () => {
    it('walks all pages without gaps or repeats', async () => {
      const records = Array.from({ length: 7 }, (_, i) => record(i));
      const service = new DeliveryLogService(fakes(records));
      const seen: string[] = [];
      let token = '';
      do {
        const page = await service.list(user, query({ pageSize: 3, pageToken: token }));
        seen.push(...page.records.map((r) => r.eventId));
        token = page.nextPageToken;
      } while (token);
      expect(seen).toEqual(records.map((r) => r.eventId));
    });
  });

  describe('get', () => {
    it("hides other users' records from users but not from admins", async () => {
      const service = new DeliveryLogService(fakes([record(1, 'u2')]));
      await expect(service.get(user, 'e001')).rejects.toMatchObject({ kind: 'not_found' });
      await expect(service.get(admin, 'e001')).resolves.toMatchObject({ record: { userId: 'u2' } });
    });
  });

  describe('updatePreferences', () => {
    it('changes only what was given and returns what is in force', async () => {
      const service = new DeliveryLogService(fakes([]));
      expect(await service.updatePreferences(user, '', {})).toEqual({
        userId: 'u1',
        loginSuccessAlerts: true,
      });
      expect(await service.updatePreferences(user, '', { loginSuccessAlerts: false })).toEqual({
        userId: 'u1',
        loginSuccessAlerts: false,
      });
      expect(await service.getPreferences(admin, 'u1')).toEqual({ userId: 'u1', loginSuccessAlerts: false });
      await expect(
        service.updatePreferences(user, 'u2', { loginSuccessAlerts: false }),
      ).rejects.toMatchObject({ kind: 'forbidden' });
    });
  });
});
