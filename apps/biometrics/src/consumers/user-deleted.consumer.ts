import { ack, type Decision, type GuardianEvent } from '@guardian/events';
import type { FaceService } from '../services/face.service.js';

/** Durable consumer name (one for all replicas: one of them erases). */
export const USER_DELETED_DURABLE = 'biometrics-user-deleted';

/**
 * identity.user.deleted -> erase the user's template and index row. Idempotent without a ledger: the
 * erase only matches a record that still holds a template, so a redelivery changes nothing and emits
 * no second `biometric.removed`.
 */
export function handleUserDeleted(faces: Pick<FaceService, 'erase'>) {
  return async (event: GuardianEvent): Promise<Decision> => {
    if (event.type !== 'identity.user.deleted') return ack();
    const { userId } = event.data as GuardianEvent<'identity.user.deleted'>['data'];
    if (!userId) return ack();
    await faces.erase(userId, 'user_deleted', event.requestId);
    return ack();
  };
}
