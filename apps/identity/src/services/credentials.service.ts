import type { AccessClaims } from '@guardian/auth';
import { DomainError, invalid, unauthenticated } from '@guardian/domain';
import type { SessionRepository } from '../repositories/session.repository.js';
import type { UserRecord, UserRepository } from '../repositories/user.repository.js';
import type { ClientContext, EventFactory } from './events.js';
import { MAX_PASSWORD_INPUT, type PasswordHasher } from './password-hasher.js';
import { assertPasswordAcceptable } from './password-policy.js';
import type { SessionService } from './sessions.service.js';

export interface CredentialServiceDeps {
  users: UserRepository;
  sessions: Pick<SessionRepository, 'listLive'>;
  /** Ends the other sessions after a password change. */
  sessionControl: Pick<SessionService, 'revokeSessions'>;
  hasher: PasswordHasher;
  events: EventFactory;
  clock?: () => Date;
}

/** Passwords after sign-up: changing one (other sessions end) and replacing a one-time password. */
export class CredentialService {
  private readonly clock: () => Date;

  constructor(private readonly deps: CredentialServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /**
   * Replaces a password that was shown once (the first master's) at the sign-in that uses it:
   * PASSWORD_CHANGE_REQUIRED without a new one, PASSWORD_REUSED when it is the same.
   */
  async replaceOneTimePassword(
    user: UserRecord,
    oneTimePassword: string,
    newPassword: string | undefined,
    client: ClientContext,
    requestId: string | undefined,
  ): Promise<void> {
    if (!newPassword)
      throw new DomainError(
        'forbidden',
        'PASSWORD_CHANGE_REQUIRED',
        'This password was for the first sign-in only: choose a new password (newPassword) to sign in.',
      );
    if (newPassword === oneTimePassword)
      throw invalid('PASSWORD_REUSED', 'The new password must differ from the one-time password.');
    assertPasswordAcceptable(newPassword, { username: user.username, email: user.email });
    const now = this.clock();
    const event = this.deps.events.make(
      'identity.password.changed',
      { userId: user._id, client: { ip: client.ip, userAgent: client.userAgent }, at: now },
      user._id,
      requestId,
    );
    await this.deps.users.update(
      user._id,
      {
        $set: {
          passwordHash: await this.deps.hasher.hash(newPassword),
          passwordChangeRequired: false,
          updatedAt: now,
        },
      },
      [event],
    );
  }

  async changePassword(
    claims: AccessClaims,
    input: { currentPassword: string; newPassword: string; client: ClientContext },
    requestId?: string,
  ): Promise<number> {
    const user = await this.deps.users.findByIdWithHash(claims.userId);
    if (!user) throw unauthenticated('SESSION_REVOKED', 'This session has been revoked.');
    if (!user.passwordHash)
      throw new DomainError(
        'unprocessable',
        'FACE_ONLY_ACCOUNT',
        'This account signs in by face and has no password.',
      );
    if (
      !(await this.deps.hasher.verify(user.passwordHash, input.currentPassword.slice(0, MAX_PASSWORD_INPUT)))
    ) {
      throw unauthenticated('INVALID_CURRENT_PASSWORD', 'Current password is not correct.');
    }
    assertPasswordAcceptable(input.newPassword, { username: user.username, email: user.email });
    const now = this.clock();
    const passwordHash = await this.deps.hasher.hash(input.newPassword);
    const event = this.deps.events.make(
      'identity.password.changed',
      { userId: user._id, client: { ip: input.client.ip, userAgent: input.client.userAgent }, at: now },
      user._id,
      requestId,
    );
    await this.deps.users.update(
      user._id,
      { $set: { passwordHash, passwordChangeRequired: false, updatedAt: now } },
      [event],
    );
    const others = (await this.deps.sessions.listLive(user._id))
      .filter((s) => s._id !== claims.sessionId)
      .map((s) => s._id);
    return this.deps.sessionControl.revokeSessions(user._id, others, 'password_changed', requestId);
  }
}
