import { randomBytes } from 'node:crypto';
import { DomainError, invalid, notFound } from '@guardian/domain';
import type { Logger } from '@guardian/logger';
import type { DocumentRepository } from '../repositories/document.repository.js';
import type { UserListFilter, UserRecord, UserRepository } from '../repositories/user.repository.js';
import type { AccountService } from './accounts.service.js';
import type { SessionService } from './sessions.service.js';
import type { EventFactory } from './events.js';
import { normalizeEmail, normalizeFullName, normalizeLocale, normalizeUsername } from './identifiers.js';
import type { PasswordHasher } from './password-hasher.js';
import { assertPasswordAcceptable } from './password-policy.js';
import { normalizeAddress, normalizeBio, normalizeBirthDate, normalizePhone } from './profile.js';
import { type AccessClaims, type Actor, type Role, assertCan, isRole } from '@guardian/auth';

export interface Page {
  offset: number;
  limit: number;
}

/** Page tokens are opaque to clients: base64url of the next offset. */
export function parsePage(pageSize: number, pageToken: string): Page {
  const limit = pageSize <= 0 ? 20 : Math.min(pageSize, 100);
  if (!pageToken) return { offset: 0, limit };
  const decoded = /^[A-Za-z0-9_-]{1,16}$/.test(pageToken)
    ? Buffer.from(pageToken, 'base64url').toString('utf8')
    : '';
  const offset = /^\d{1,9}$/.test(decoded) ? Number(decoded) : -1;
  if (offset < 0) throw invalid('INVALID_PAGE_TOKEN', 'Page token is not valid.');
  return { offset, limit };
}

export const nextPageToken = (page: Page, returned: number, total: number): string =>
  page.offset + returned < total && returned > 0
    ? Buffer.from(String(page.offset + returned)).toString('base64url')
    : '';

const USER_STATUSES = ['active', 'pending_enrollment', 'disabled'] as const;

/**
 * Accounts and profiles under the role rules (@guardian/auth `can`). Every `userId` a caller gives
 * may also be the account's number (decimal digits): it becomes the account's id before any rule
 * looks at it, so a plain user naming themselves by number is still themselves.
 */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly documents: DocumentRepository,
    private readonly accounts: Pick<AccountService, 'assertAvailable' | 'createAccount'>,
    private readonly sessionControl: Pick<SessionService, 'revokeAllOf'>,
    private readonly hasher: PasswordHasher,
    private readonly events: EventFactory,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The acting user as stored now (a role change applies at once, not only after the token expires). */
  private async actor(claims: AccessClaims): Promise<Actor> {
    const user = await this.users.findById(claims.userId);
    if (!user) throw new DomainError('unauthenticated', 'SESSION_REVOKED', 'This account no longer exists.');
    return { id: user._id, role: user.role };
  }

  private async target(id: string): Promise<UserRecord> {
    const user = id ? await this.users.findById(id) : null;
    if (!user) throw notFound('USER_NOT_FOUND', 'No such user.');
    return user;
  }

  /**
   * Whose sessions and sign-in attempts the caller reads or revokes: their own (empty `userId`), or
   * those of a user they manage (admins: users; masters: anyone).
   */
  async activityOwner(claims: AccessClaims, userIdOrNumber: string): Promise<string> {
    const userId = await this.users.idOf(userIdOrNumber);
    if (!userId || userId === claims.userId) return claims.userId;
    const actor = await this.actor(claims);
    // A plain user is refused before learning whether the account exists.
    if (actor.role === 'user') assertCan(actor, 'user.activity', { id: userId });
    const target = await this.target(userId);
    assertCan(actor, 'user.activity', { id: userId, role: target.role });
    return userId;
  }

  async get(claims: AccessClaims, userId: string): Promise<UserRecord> {
    const id = (await this.users.idOf(userId)) || claims.userId;
    if (id === claims.userId) return this.target(id);
    const actor = await this.actor(claims);
    assertCan(actor, 'user.read', { id });
    return this.target(id);
  }

  async list(
    claims: AccessClaims,
    filter: UserListFilter,
    page: Page,
  ): Promise<{ users: UserRecord[]; total: number }> {
    assertCan(await this.actor(claims), 'user.list');
    if (filter.role && !isRole(filter.role)) throw invalid('INVALID_ROLE', 'Unknown role.');
    if (filter.status && !(USER_STATUSES as readonly string[]).includes(filter.status))
      throw invalid('INVALID_STATUS', 'Unknown status.');
    return this.users.list(filter, page.offset, page.limit);
  }

  async create(
    claims: AccessClaims,
    input: {
      username: string;
      email: string;
      password: string;
      fullName: string;
      locale: string;
      role: string;
    },
    requestId?: string,
  ): Promise<UserRecord> {
    const role = input.role || 'user';
    if (!isRole(role)) throw invalid('INVALID_ROLE', 'Unknown role.');
    assertCan(await this.actor(claims), 'user.create', { role });
    const username = normalizeUsername(input.username);
    const email = normalizeEmail(input.email);
    const fullName = normalizeFullName(input.fullName);
    const locale = normalizeLocale(input.locale);
    assertPasswordAcceptable(input.password, { username, email });
    await this.accounts.assertAvailable(username, email);
    const passwordHash = await this.hasher.hash(input.password);
    return this.accounts.createAccount(
      {
        username,
        email,
        fullName,
        locale,
        role,
        status: 'active',
        registrationKind: 'password',
        passwordHash,
      },
      requestId,
    );
  }

  async update(
    claims: AccessClaims,
    input: {
      userId: string;
      username?: string | undefined;
      email?: string | undefined;
      fullName?: string | undefined;
      locale?: string | undefined;
      status?: string | undefined;
    },
    requestId?: string,
  ): Promise<UserRecord> {
    const actor = await this.actor(claims);
    const target = await this.target((await this.users.idOf(input.userId)) || claims.userId);
    const ref = { id: target._id, role: target.role };
    assertCan(actor, 'user.update', ref);
    const set: Record<string, unknown> = {};
    if (input.username !== undefined && input.username !== target.username) {
      assertCan(actor, 'user.change_username', ref);
      const username = normalizeUsername(input.username);
      set.username = username;
      set.usernameLower = username.toLowerCase();
    }
    if (input.email !== undefined) {
      const email = normalizeEmail(input.email);
      if (email !== target.email) set.email = email;
    }
    if (input.fullName !== undefined) set.fullName = normalizeFullName(input.fullName);
    if (input.locale !== undefined) set.locale = normalizeLocale(input.locale);
    if (input.status !== undefined && input.status !== target.status) {
      if (input.status !== 'active' && input.status !== 'disabled')
        throw invalid('INVALID_STATUS', 'Status must be active or disabled.');
      if (target._id === actor.id)
        throw new DomainError('forbidden', 'CANNOT_CHANGE_OWN_STATUS', 'You cannot change your own status.');
      if (target.status === 'pending_enrollment')
        throw new DomainError(
          'unprocessable',
          'ENROLLMENT_PENDING',
          'The account waits for its face enrollment.',
        );
      set.status = input.status;
    }
    const updated = await this.applyChange(target, set, requestId);
    if (set.status === 'disabled') {
      await this.sessionControl.revokeAllOf(target._id, 'user_disabled', requestId);
    }
    return updated;
  }

  /** One update: the changed fields, updatedAt and identity.user.updated naming them. */
  private async applyChange(
    target: UserRecord,
    set: Record<string, unknown>,
    requestId?: string,
    extraChanged: string[] = [],
  ): Promise<UserRecord> {
    const changed = [
      ...Object.keys(set)
        .filter((k) => k !== 'usernameLower')
        .map((k) => k.replace(/^profile\./, '')),
      ...extraChanged,
    ];
    if (changed.length === 0) return target;
    const next = {
      ...target,
      ...Object.fromEntries(Object.entries(set).filter(([k]) => !k.startsWith('profile.'))),
    } as UserRecord;
    const event = this.events.make(
      'identity.user.updated',
      {
        userId: target._id,
        username: next.username,
        email: next.email,
        fullName: next.fullName,
        locale: next.locale,
        role: next.role,
        status: next.status,
        changedFields: changed.map(snake),
      },
      target._id,
      requestId,
    );
    const updated = await this.users.update(target._id, { $set: { ...set, updatedAt: this.clock() } }, [
      event,
    ]);
    if (!updated) throw notFound('USER_NOT_FOUND', 'No such user.');
    return updated;
  }

  async setRole(claims: AccessClaims, userId: string, role: string, requestId?: string): Promise<UserRecord> {
    if (!isRole(role)) throw invalid('INVALID_ROLE', 'Unknown role.');
    const actor = await this.actor(claims);
    const target = await this.target(await this.users.idOf(userId));
    assertCan(actor, 'user.set_role', { id: target._id, role: target.role, newRole: role });
    if (target.role === role) return target;
    const updated = await this.applyChange(target, { role }, requestId);
    // Tokens carry the role: every token issued under the old one dies with its session.
    await this.sessionControl.revokeAllOf(target._id, 'role_changed', requestId);
    return updated;
  }

  async unlock(claims: AccessClaims, userId: string, requestId?: string): Promise<UserRecord> {
    const actor = await this.actor(claims);
    const target = await this.target(await this.users.idOf(userId));
    assertCan(actor, 'user.unlock', { id: target._id, role: target.role });
    const now = this.clock();
    const event = this.events.make(
      'identity.user.updated',
      {
        userId: target._id,
        username: target.username,
        email: target.email,
        fullName: target.fullName,
        locale: target.locale,
        role: target.role,
        status: target.status,
        changedFields: ['locked_until'],
      },
      target._id,
      requestId,
    );
    const updated = await this.users.update(
      target._id,
      { $set: { lockedUntil: null, unlockedAt: now, updatedAt: now } },
      [event],
    );
    if (!updated) throw notFound('USER_NOT_FOUND', 'No such user.');
    return updated;
  }

  async delete(claims: AccessClaims, userId: string, requestId?: string): Promise<void> {
    const actor = await this.actor(claims);
    const target = await this.target(await this.users.idOf(userId));
    assertCan(actor, 'user.delete', { id: target._id, role: target.role });
    const now = this.clock();
    const event = this.events.make(
      'identity.user.deleted',
      { userId: target._id, deletedBy: actor.id },
      target._id,
      requestId,
    );
    // Tombstone: the id stays (events and audit refer to it); personal data goes; unique keys are freed.
    const updated = await this.users.update(
      target._id,
      {
        $set: {
          status: 'deleted',
          deletedAt: now,
          updatedAt: now,
          username: `deleted-${target._id}`,
          usernameLower: `deleted-${target._id}`,
          email: `${target._id}@deleted.invalid`,
          fullName: '-',
          passwordHash: null,
          profile: { phone: '', address: '', birthDate: '', bio: '' },
        },
      },
      [event],
    );
    if (!updated) throw notFound('USER_NOT_FOUND', 'No such user.');
    await this.sessionControl.revokeAllOf(target._id, 'user_deleted', requestId);
    await this.documents.deleteForUser(target._id);
  }

  getProfile(claims: AccessClaims): Promise<UserRecord> {
    return this.target(claims.userId);
  }

  async updateProfile(
    claims: AccessClaims,
    input: {
      fullName?: string | undefined;
      locale?: string | undefined;
      phone?: string | undefined;
      address?: string | undefined;
      birthDate?: string | undefined;
      bio?: string | undefined;
    },
    requestId?: string,
  ): Promise<UserRecord> {
    const target = await this.target(claims.userId);
    const set: Record<string, unknown> = {};
    if (input.fullName !== undefined) set.fullName = normalizeFullName(input.fullName);
    if (input.locale !== undefined) set.locale = normalizeLocale(input.locale);
    if (input.phone !== undefined) set['profile.phone'] = normalizePhone(input.phone);
    if (input.address !== undefined) set['profile.address'] = normalizeAddress(input.address);
    if (input.birthDate !== undefined)
      set['profile.birthDate'] = normalizeBirthDate(input.birthDate, this.clock());
    if (input.bio !== undefined) set['profile.bio'] = normalizeBio(input.bio);
    return this.applyChange(target, set, requestId);
  }

  /**
   * No default admin/admin. When no master exists: create one from IDENTITY_BOOTSTRAP_MASTER_* or,
   * when no password is given, with a random one-time password that the first sign-in must
   * replace; answers it (`oneTimePassword`) for the caller to hand over once.
   */
  async bootstrapMaster(
    input: { username?: string | undefined; email?: string | undefined; password?: string | undefined },
    logger: Logger,
  ): Promise<{ user: UserRecord; oneTimePassword?: string } | undefined> {
    if (await this.users.anyMaster()) return undefined;
    const username = normalizeUsername(input.username ?? 'master');
    const email = normalizeEmail(input.email ?? 'master@guardian.localhost');
    const generated = !input.password;
    const password = input.password ?? randomBytes(18).toString('base64url');
    assertPasswordAcceptable(password, { username, email });
    try {
      const user = await this.accounts.createAccount(
        {
          username,
          email,
          fullName: 'Guardian Master',
          locale: 'en',
          role: 'master',
          status: 'active',
          registrationKind: 'password',
          passwordHash: await this.hasher.hash(password),
          passwordChangeRequired: generated,
        },
        undefined,
      );
      if (!generated) {
        logger.info({ username }, 'bootstrap master account created from IDENTITY_BOOTSTRAP_MASTER_*');
        return { user };
      }
      return { user, oneTimePassword: password };
    } catch (error) {
      // Another replica created it first.
      if (error instanceof DomainError && error.kind === 'conflict') return undefined;
      throw error;
    }
  }
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export type { Role };
