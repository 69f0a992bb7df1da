import type { UserRepository } from '../repositories/user.repository.js';
import type { EventFactory } from './events.js';

export type BiometricChange =
  | {
      kind: 'enrolled';
      userId: string;
      modelId: string;
      sampleCount: number;
      at: Date;
      eventId: string;
      requestId?: string | undefined;
    }
  | { kind: 'removed'; userId: string; at: Date; eventId: string; requestId?: string | undefined };

export type BiometricOutcome = 'applied' | 'stale' | 'unknown_user';

/**
 * Keeps the biometric part of the verification summary from biometrics' events and activates
 * face-only accounts on their first enrollment. Idempotent and order-safe: each user remembers the
 * time of the last event applied and ignores older or equal ones (a redelivery changes nothing).
 */
export class BiometricSummaryService {
  constructor(
    private readonly users: UserRepository,
    private readonly events: EventFactory,
  ) {}

  async apply(change: BiometricChange): Promise<BiometricOutcome> {
    const user = await this.users.findById(change.userId);
    if (!user) return 'unknown_user';
    const last = user.biometric.eventTime;
    if (last && last.getTime() >= change.at.getTime()) return 'stale';
    const biometric =
      change.kind === 'enrolled'
        ? {
            enrolled: true,
            enrolledAt: change.at,
            modelId: change.modelId,
            sampleCount: change.sampleCount,
            eventTime: change.at,
          }
        : { enrolled: false, enrolledAt: null, modelId: '', sampleCount: 0, eventTime: change.at };
    const activate = change.kind === 'enrolled' && user.status === 'pending_enrollment';
    const events = activate
      ? [
          this.events.make(
            'identity.user.updated',
            {
              userId: user._id,
              username: user.username,
              email: user.email,
              fullName: user.fullName,
              locale: user.locale,
              role: user.role,
              status: 'active',
              changedFields: ['status'],
            },
            user._id,
            change.requestId,
          ),
        ]
      : [];
    // Guard on the event time we read: a concurrent newer event wins, this one becomes stale.
    const guard = { 'biometric.eventTime': last ?? null };
    const updated = await this.users.update(
      user._id,
      { $set: { biometric, ...(activate ? { status: 'active', updatedAt: change.at } : {}) } },
      events,
      guard,
    );
    if (!updated) return 'stale';
    return 'applied';
  }
}
