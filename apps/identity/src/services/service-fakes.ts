/**
 * In-memory stand-ins for the repositories, hasher and tokens, for the services' unit specs (the
 * decisions, not the stores: integration tests run the real ones). Only what the services call.
 */
import type { PendingEvent } from '@guardian/events';
import type { UserRecord } from '../repositories/user.repository.js';
import type { SessionRecord } from '../repositories/session.repository.js';
import { eventFactory } from './events.js';
import type { PasswordHasher } from './password-hasher.js';

export const T0 = new Date('2026-06-01T10:00:00Z');

export function fakeUser(fields: Partial<UserRecord> = {}): UserRecord {
  return {
    _id: 'u1',
    username: 'ana',
    usernameLower: 'ana',
    email: 'ana@example.com',
    fullName: 'Ana',
    locale: 'en',
    role: 'user',
    status: 'active',
    registrationKind: 'password',
    passwordHash: 'hash:right password 1',
    profile: { phone: '', address: '', birthDate: '', bio: '' },
    biometric: { enrolled: false, enrolledAt: null, modelId: '', sampleCount: 0, eventTime: null },
    hasApprovedIdentityDocument: false,
    lockedUntil: null,
    unlockedAt: null,
    deletedAt: null,
    createdAt: T0,
    updatedAt: T0,
    ...fields,
  };
}

/** Users in a Map; `queued` collects the events every write queued. */
export function fakeUsers(initial: UserRecord[] = []) {
  const byId = new Map(initial.map((u) => [u._id, { ...u }]));
  const queued: PendingEvent[] = [];
  const repo = {
    insert: async (user: UserRecord, events: PendingEvent[]) => {
      byId.set(user._id, { ...user });
      queued.push(...events);
      return user;
    },
    exists: async (filter: { usernameLower?: string; email?: string }) =>
      [...byId.values()].some(
        (u) =>
          (filter.usernameLower !== undefined && u.usernameLower === filter.usernameLower) ||
          (filter.email !== undefined && u.email === filter.email),
      ),
    findById: async (id: string) => byId.get(id) ?? null,
    findByIdWithHash: async (id: string) => byId.get(id) ?? null,
    idOf: async (id: string) =>
      /^[0-9]+$/.test(id) ? ([...byId.values()].find((u) => u.number === Number(id))?._id ?? id) : id,
    findByIdentifierWithHash: async (identifier: string) =>
      [...byId.values()].find((u) => u.usernameLower === identifier || u.email === identifier) ?? null,
    update: async (id: string, update: { $set?: Partial<UserRecord> }, events: PendingEvent[] = []) => {
      const user = byId.get(id);
      if (!user) return null;
      Object.assign(user, update.$set ?? {});
      queued.push(...events);
      return user;
    },
  };
  return { repo, byId, queued };
}

/** A hasher whose hash of `p` is `hash:p` (verification is string equality). */
export function fakeHasher() {
  const calls: string[] = [];
  const hasher: PasswordHasher = {
    hash: async (password) => {
      calls.push('hash');
      return `hash:${password}`;
    },
    verify: async (stored, password) => {
      calls.push('verify');
      return stored === `hash:${password}`;
    },
    needsRehash: () => false,
    verifyUnknownUser: async () => {
      calls.push('verifyUnknownUser');
      return false;
    },
  };
  return { hasher, calls };
}

/** Sessions in a Map; `revoked` lists what was revoked, with the reason. */
export function fakeSessions(initial: SessionRecord[] = []) {
  const byId = new Map(initial.map((s) => [s._id, { ...s }]));
  const revoked: { ids: string[]; reason: string }[] = [];
  const repo = {
    insert: async (session: SessionRecord) => void byId.set(session._id, { ...session }),
    findById: async (id: string) => byId.get(id) ?? null,
    listLive: async (userId: string) => [...byId.values()].filter((s) => s.userId === userId && !s.revokedAt),
    isLive: async (id: string) => Boolean(byId.get(id) && !byId.get(id)!.revokedAt),
    revoke: async (ids: string[], reason: string, now: Date) => {
      revoked.push({ ids, reason });
      for (const id of ids) Object.assign(byId.get(id) ?? {}, { revokedAt: now, revokedReason: reason });
      return ids.length;
    },
    rotate: async (id: string, _old: string, hash: string, used: string[], now: Date) => {
      Object.assign(byId.get(id)!, { refreshHash: hash, usedRefreshHashes: used, lastUsedAt: now });
      return true;
    },
  };
  return { repo, byId, revoked };
}

export const events = eventFactory('guardian/identity-spec');
