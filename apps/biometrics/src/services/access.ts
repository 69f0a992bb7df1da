import { assertCan, isRole, type AccessClaims } from '@guardian/auth';
import { forbidden, invalid, notFound } from '@guardian/domain';

/** The caller as the role rules (@guardian/auth `can`, shared with identity and web) name an actor. */
const actorOf = (claims: AccessClaims) => ({ id: claims.userId, role: claims.role });

const FACE_OF_OTHERS = "only the user or an admin may manage this user's face enrollment";

/** Reading, deleting or checking a face: the user themself or staff; PERMISSION_DENIED otherwise. */
export function requireSelfOrAdmin(
  actor: AccessClaims,
  userId: string,
  action: 'face.read' | 'face.delete' | 'face.verify' = 'face.read',
): void {
  assertCan(actorOf(actor), action, { id: userId }, FACE_OF_OTHERS);
}

/**
 * Who may create or replace a face template (`face.enroll`): the user themself; an admin or master
 * only for a `user` account that is still `pending_enrollment` (a face-only account awaiting its
 * first face). Nobody else's face, ever: an admin who put their own face on an account that can
 * already sign in would sign in as it. `target` is identity's current view of the account (null:
 * no such account).
 */
export function requireMayEnroll(
  actor: AccessClaims,
  userId: string,
  target: { role: string; status: string } | null | 'self',
): void {
  if (target === 'self' || actor.userId === userId) return;
  // May this actor enroll anyone else at all (staff), before telling whether the account exists.
  assertCan(
    actorOf(actor),
    'face.enroll',
    { id: userId, role: 'user', status: 'pending_enrollment' },
    FACE_OF_OTHERS,
  );
  if (!target) throw notFound('USER_NOT_FOUND', 'no such user');
  const role = isRole(target.role) ? target.role : undefined;
  assertCan(
    actorOf(actor),
    'face.enroll',
    { id: userId, ...(role ? { role } : {}), status: target.status },
    'an admin enrolls only a user account awaiting its first face; everyone else enrolls their own face',
  );
}

/** How recent a sign-in must be to replace one's own face template (step-up). */
export const STEP_UP_WINDOW_MS = 5 * 60_000;

/**
 * Replacing one's own template needs a fresh proof: a sign-in (password or face) within the last
 * STEP_UP_WINDOW_MS, as the access token's `auth_time` says — a stolen or long-lived session cannot
 * swap the face. Creating the first template needs none.
 */
export function requireFreshSignIn(actor: AccessClaims, now: number): void {
  const at = actor.authTime?.getTime();
  if (at === undefined || now - at > STEP_UP_WINDOW_MS)
    throw forbidden(
      'STEP_UP_REQUIRED',
      'sign in again (password or face) to replace your face: the last sign-in is more than 5 minutes old',
    );
}

export function requireAdmin(actor: AccessClaims): void {
  assertCan(actorOf(actor), 'face.identify', {}, 'only an admin may search all enrolled faces');
}

/** A user id as the other services issue them: 1..128 printable characters. */
export function requireUserId(userId: string): string {
  if (!/^[\x21-\x7e]{1,128}$/.test(userId)) throw invalid('USER_ID_REQUIRED', 'user_id is required');
  return userId;
}
