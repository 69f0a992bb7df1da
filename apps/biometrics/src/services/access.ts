import type { AccessClaims } from '@guardian/auth';
import { forbidden, invalid } from '@guardian/domain';

export const isAdmin = (actor: AccessClaims): boolean => actor.role === 'admin' || actor.role === 'master';

/** The user themself or an admin; PERMISSION_DENIED otherwise. */
export function requireSelfOrAdmin(actor: AccessClaims, userId: string): void {
  if (actor.userId !== userId && !isAdmin(actor)) {
    throw forbidden('PERMISSION_DENIED', "only the user or an admin may manage this user's face enrollment");
  }
}

export function requireAdmin(actor: AccessClaims): void {
  if (!isAdmin(actor)) throw forbidden('PERMISSION_DENIED', 'only an admin may search all enrolled faces');
}

/** A user id as the other services issue them: 1..128 printable characters. */
export function requireUserId(userId: string): string {
  if (!/^[\x21-\x7e]{1,128}$/.test(userId)) throw invalid('USER_ID_REQUIRED', 'user_id is required');
  return userId;
}
