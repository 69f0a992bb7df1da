import { randomBytes, randomUUID } from 'node:crypto';
import { DomainError } from '@guardian/domain';
import type { UserRecord, UserRepository } from '../repositories/user.repository.js';
import type { AccessTokens } from './access-tokens.js';
import type { EventFactory } from './events.js';
import { normalizeEmail, normalizeFullName, normalizeLocale, normalizeUsername } from './identifiers.js';
import type { PasswordHasher } from './password-hasher.js';
import { assertPasswordAcceptable } from './password-policy.js';

export interface AccountServiceDeps {
  users: UserRepository;
  hasher: PasswordHasher;
  tokens: Pick<AccessTokens, 'issueEnrollment'>;
  events: EventFactory;
  clock?: () => Date;
}

/**
 * Accounts coming into being: self-registration (password or face-only), and the creation every
 * other path shares (admin creation, the bootstrap master), with its `identity.user.registered`
 * event queued on the new document.
 */
export class AccountService {
  private readonly clock: () => Date;

  constructor(private readonly deps: AccountServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async register(
    input: { username: string; email: string; password: string; fullName: string; locale: string },
    requestId?: string,
  ): Promise<UserRecord> {
    const username = normalizeUsername(input.username);
    const email = normalizeEmail(input.email);
    const fullName = normalizeFullName(input.fullName);
    const locale = normalizeLocale(input.locale);
    assertPasswordAcceptable(input.password, { username, email });
    await this.assertAvailable(username, email);
    const passwordHash = await this.deps.hasher.hash(input.password);
    return this.createAccount(
      {
        username,
        email,
        fullName,
        locale,
        role: 'user',
        status: 'active',
        registrationKind: 'password',
        passwordHash,
      },
      requestId,
    );
  }

  async registerFaceOnly(
    input: { username: string; email: string; fullName: string; locale: string },
    requestId?: string,
  ): Promise<{ user: UserRecord; enrollment: { token: string; expiresAt: Date } }> {
    const email = normalizeEmail(input.email);
    const fullName = normalizeFullName(input.fullName);
    const locale = normalizeLocale(input.locale);
    let username = input.username.trim()
      ? normalizeUsername(input.username)
      : await this.usernameFromEmail(email);
    if (!input.username.trim() && (await this.deps.users.exists({ usernameLower: username.toLowerCase() })))
      username = await this.usernameFromEmail(email);
    await this.assertAvailable(username, email);
    const user = await this.createAccount(
      {
        username,
        email,
        fullName,
        locale,
        role: 'user',
        status: 'pending_enrollment',
        registrationKind: 'face_only',
        passwordHash: null,
      },
      requestId,
    );
    return { user, enrollment: await this.deps.tokens.issueEnrollment(user._id) };
  }

  /** Shared by registration, admin creation and the bootstrap master. */
  async createAccount(
    fields: Pick<
      UserRecord,
      'username' | 'email' | 'fullName' | 'locale' | 'role' | 'status' | 'registrationKind' | 'passwordHash'
    > &
      Partial<Pick<UserRecord, 'passwordChangeRequired'>>,
    requestId?: string,
  ): Promise<UserRecord> {
    const now = this.clock();
    const id = randomUUID();
    const user: Omit<UserRecord, 'pendingEvents'> = {
      _id: id,
      ...fields,
      usernameLower: fields.username.toLowerCase(),
      profile: { phone: '', address: '', birthDate: '', bio: '' },
      biometric: { enrolled: false, enrolledAt: null, modelId: '', sampleCount: 0, eventTime: null },
      hasApprovedIdentityDocument: false,
      lockedUntil: null,
      unlockedAt: null,
      deletedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    const event = this.deps.events.make(
      'identity.user.registered',
      {
        userId: id,
        username: user.username,
        email: user.email,
        fullName: user.fullName,
        locale: user.locale,
        role: user.role,
        registrationKind: user.registrationKind,
      },
      id,
      requestId,
    );
    // The stored account, with the number the repository gave it.
    return this.deps.users.insert(user, [event]);
  }

  async assertAvailable(username: string, email: string): Promise<void> {
    if (await this.deps.users.exists({ usernameLower: username.toLowerCase() }))
      throw new DomainError('conflict', 'USERNAME_TAKEN', 'Username is already taken.');
    if (await this.deps.users.exists({ email }))
      throw new DomainError('conflict', 'EMAIL_TAKEN', 'E-mail address is already registered.');
  }

  private async usernameFromEmail(email: string): Promise<string> {
    const base = (email.split('@')[0] ?? 'user')
      .replace(/[^A-Za-z0-9_.-]/g, '')
      .slice(0, 24)
      .padEnd(3, '0');
    if (!(await this.deps.users.exists({ usernameLower: base.toLowerCase() }))) return base;
    return `${base}-${randomBytes(3).toString('hex')}`;
  }
}
