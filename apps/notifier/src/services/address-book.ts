import type { GuardianEvent } from '@guardian/events';

/**
 * What the notifier knows about a user, kept from identity's user events (never asked for
 * synchronously). A deleted user stays as a tombstone without address, so a late or redelivered
 * `registered`/`updated` event cannot bring the address back.
 */
export interface Contact {
  userId: string;
  email: string;
  name: string;
  /** As identity sent it; resolved to a supported locale when a message is rendered. */
  locale: string;
  deleted: boolean;
  /** Time of the last user event applied (CloudEvents time), to ignore out-of-order updates. */
  updatedAt: Date;
}

export type UserEvent = GuardianEvent<
  'identity.user.registered' | 'identity.user.updated' | 'identity.user.deleted'
>;

export const isUserEvent = (event: GuardianEvent): event is UserEvent =>
  event.type === 'identity.user.registered' ||
  event.type === 'identity.user.updated' ||
  event.type === 'identity.user.deleted';

/**
 * The contact after a user event, or `undefined` when nothing changes (stale update, unknown user on
 * delete...). Pure: the repository writes what this returns.
 */
export function applyUserEvent(current: Contact | undefined, event: UserEvent): Contact | undefined {
  const at = event.time;
  switch (event.type) {
    case 'identity.user.deleted': {
      const data = event.data as GuardianEvent<'identity.user.deleted'>['data'];
      if (current?.deleted) return undefined;
      return { userId: data.userId, email: '', name: '', locale: '', deleted: true, updatedAt: at };
    }
    case 'identity.user.registered': {
      const data = event.data as GuardianEvent<'identity.user.registered'>['data'];
      if (current) return undefined; // registered once; anything newer already wrote the contact
      return {
        userId: data.userId,
        email: data.email,
        name: data.fullName || data.username,
        locale: data.locale,
        deleted: false,
        updatedAt: at,
      };
    }
    case 'identity.user.updated': {
      const data = event.data as GuardianEvent<'identity.user.updated'>['data'];
      if (current?.deleted) return undefined;
      if (current && current.updatedAt.getTime() > at.getTime()) return undefined;
      const deleted = data.status === 'deleted';
      return {
        userId: data.userId,
        email: deleted ? '' : data.email || current?.email || '',
        name: data.fullName || data.username || current?.name || '',
        locale: data.locale || current?.locale || '',
        deleted,
        updatedAt: at,
      };
    }
  }
}
