import { forbidden, invalid, notFound } from '@guardian/domain';

import type {
  ListFilter,
  NotificationRecord,
  NotificationStatus,
  OutboxMessage,
} from '../repositories/notification.repository.js';
import { TEMPLATE_NAMES } from '../templates/template-data.js';
import type { Preferences } from './notification-policy.js';

export interface Caller {
  userId: string;
  role: 'user' | 'admin' | 'master';
}

const isAdmin = (caller: Caller) => caller.role === 'admin' || caller.role === 'master';

/** Whose data a call is about: users only their own, admins anyone's. */
export function resolveSubject(caller: Caller, requested: string): string {
  const userId = requested.trim() === '' ? caller.userId : requested.trim();
  if (userId !== caller.userId && !isAdmin(caller))
    throw forbidden('NOT_YOUR_DATA', "only admins may see other users' notifications");
  return userId;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export function encodePageToken(record: Pick<NotificationRecord, 'createdAt' | 'eventId'>): string {
  return Buffer.from(JSON.stringify([record.createdAt.getTime(), record.eventId])).toString('base64url');
}

export function decodePageToken(token: string): { createdAt: Date; eventId: string } {
  try {
    const [ms, eventId] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
    if (typeof ms === 'number' && Number.isFinite(ms) && typeof eventId === 'string')
      return { createdAt: new Date(ms), eventId };
  } catch {
    // fall through
  }
  throw invalid('INVALID_PAGE_TOKEN', 'the page token is not one this service issued');
}

export interface ListQuery {
  userId: string;
  statuses: NotificationStatus[];
  templates: string[];
  createdAfter?: Date;
  createdBefore?: Date;
  pageSize: number;
  pageToken: string;
}

/** Validated filter for the repository; an admin with no user id sees everyone. */
export function toListFilter(caller: Caller, query: ListQuery): ListFilter {
  const everyone = query.userId.trim() === '' && isAdmin(caller);
  const userId = everyone ? undefined : resolveSubject(caller, query.userId);
  if (query.pageSize < 0 || query.pageSize > MAX_PAGE_SIZE) {
    throw invalid('INVALID_PAGE_SIZE', `page_size must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  const unknown = query.templates.filter((t) => !(TEMPLATE_NAMES as readonly string[]).includes(t));
  if (unknown.length > 0) throw invalid('UNKNOWN_TEMPLATE', `unknown template(s): ${unknown.join(', ')}`);
  return {
    ...(userId ? { userId } : {}),
    statuses: query.statuses,
    templates: query.templates,
    ...(query.createdAfter ? { createdAfter: query.createdAfter } : {}),
    ...(query.createdBefore ? { createdBefore: query.createdBefore } : {}),
    ...(query.pageToken ? { before: decodePageToken(query.pageToken) } : {}),
    limit: query.pageSize === 0 ? DEFAULT_PAGE_SIZE : query.pageSize,
  };
}

export interface DeliveryLogPorts {
  notifications: {
    list(filter: ListFilter): Promise<NotificationRecord[]>;
    getWithMessage(
      eventId: string,
    ): Promise<{ record: NotificationRecord; message: OutboxMessage | undefined } | undefined>;
  };
  preferences: {
    get(userId: string): Promise<Preferences>;
    update(userId: string, changes: Partial<Preferences>): Promise<Preferences>;
  };
}

/** The read side and the preferences, with the access rules. */
export class DeliveryLogService {
  constructor(private readonly ports: DeliveryLogPorts) {}

  async list(
    caller: Caller,
    query: ListQuery,
  ): Promise<{ records: NotificationRecord[]; nextPageToken: string }> {
    const filter = toListFilter(caller, query);
    // One extra row tells whether another page exists.
    const rows = await this.ports.notifications.list({ ...filter, limit: filter.limit + 1 });
    const records = rows.slice(0, filter.limit);
    const last = records.at(-1);
    return { records, nextPageToken: rows.length > filter.limit && last ? encodePageToken(last) : '' };
  }

  async get(
    caller: Caller,
    eventId: string,
  ): Promise<{ record: NotificationRecord; message: OutboxMessage | undefined }> {
    if (eventId.trim() === '') throw invalid('MISSING_EVENT_ID', 'event_id is required');
    const found = await this.ports.notifications.getWithMessage(eventId);
    // Someone else's record reads as missing, so ids cannot be probed.
    if (!found || (found.record.userId !== caller.userId && !isAdmin(caller)))
      throw notFound('NOTIFICATION_NOT_FOUND', 'no such notification');
    return found;
  }

  async getPreferences(caller: Caller, userId: string): Promise<Preferences & { userId: string }> {
    const subject = resolveSubject(caller, userId);
    return { userId: subject, ...(await this.ports.preferences.get(subject)) };
  }

  async updatePreferences(
    caller: Caller,
    userId: string,
    changes: Partial<Preferences>,
  ): Promise<Preferences & { userId: string }> {
    const subject = resolveSubject(caller, userId);
    const clean: Partial<Preferences> = {};
    if (typeof changes.loginSuccessAlerts === 'boolean')
      clean.loginSuccessAlerts = changes.loginSuccessAlerts;
    return { userId: subject, ...(await this.ports.preferences.update(subject, clean)) };
  }
}
