import { DomainError } from '@guardian/domain';

/**
 * Role rules (user < admin < master): the one home of who may do what to whom. identity enforces
 * the account actions (it is the authority), biometrics the face actions, web asks `allowedActions`
 * only to decide which buttons the dashboard shows.
 *
 * - user: reads and updates their own account/profile; cannot list, create, update others or delete.
 * - admin: everything a user can; lists users; creates users with role `user` only; reads any user;
 *   updates, unlocks and deletes `user` accounts; reviews verification documents; cannot change roles,
 *   cannot touch admins or masters (other than reading them).
 * - master: everything an admin can, on any role: creates users with any role, changes any role,
 *   deletes anyone.
 * - `user.activity` (another user's sessions and sign-in attempts: read, revoke a session) follows
 *   `user.update`: admins for users, masters for anyone.
 * - Nobody deletes their own account through admin operations (CANNOT_DELETE_SELF), nobody changes
 *   their own username (CANNOT_CHANGE_OWN_USERNAME), nobody changes their own role
 *   (CANNOT_CHANGE_OWN_ROLE: the last master cannot demote themselves out of existence), and only
 *   masters change roles.
 * - Faces: one's own face, always; an admin or master enrolls only a `user` account still
 *   `pending_enrollment` (a face-only account awaiting its first face; ENROLLMENT_NOT_ALLOWED
 *   otherwise: a face on an account that can sign in signs in as it). Reading, deleting and
 *   checking a face (Verify with a token): the user or staff. Searching all faces: staff.
 */
export const ROLES = ['user', 'admin', 'master'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

export type Action =
  | 'user.read'
  | 'user.list'
  | 'user.create'
  | 'user.update'
  | 'user.change_username'
  | 'user.delete'
  | 'user.set_role'
  | 'user.unlock'
  | 'user.activity'
  | 'verification.read'
  | 'verification.review'
  | 'verification.list'
  | 'face.enroll'
  | 'face.read'
  | 'face.delete'
  | 'face.verify'
  | 'face.identify'
  | 'media.read'
  | 'media.manage'
  | 'media.list_all';

export const ACTIONS: readonly Action[] = [
  'user.read',
  'user.list',
  'user.create',
  'user.update',
  'user.change_username',
  'user.delete',
  'user.set_role',
  'user.unlock',
  'user.activity',
  'verification.read',
  'verification.review',
  'verification.list',
  'face.enroll',
  'face.read',
  'face.delete',
  'face.verify',
  'face.identify',
  'media.read',
  'media.manage',
  'media.list_all',
];

export interface Actor {
  id: string;
  role: Role;
}

/**
 * What the action is applied to. For `user.create` the role is the role being created; for
 * `user.set_role`, `role` is the target's current role and `newRole` the one requested.
 * `id` is absent for creations and listings.
 */
export interface Target {
  id?: string;
  role?: Role;
  newRole?: Role;
  /** The target account's status (face.enroll by staff: only `pending_enrollment`). */
  status?: string;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

const allow: Decision = { allowed: true };
const deny = (reason = 'FORBIDDEN'): Decision => ({ allowed: false, reason });

const isStaff = (role: Role) => role === 'admin' || role === 'master';
/** Whether `actor` manages accounts of `role` (admin: users only; master: everyone). */
const manages = (actor: Role, role: Role | undefined) =>
  actor === 'master' || (actor === 'admin' && role === 'user');

export function can(actor: Actor, action: Action, target: Target = {}): Decision {
  const self = target.id !== undefined && target.id === actor.id;
  switch (action) {
    case 'user.read':
    case 'verification.read':
      return self || isStaff(actor.role) ? allow : deny();
    case 'user.update':
    case 'user.activity':
      return self || manages(actor.role, target.role) ? allow : deny();
    case 'user.change_username':
      if (self) return deny('CANNOT_CHANGE_OWN_USERNAME');
      return manages(actor.role, target.role) ? allow : deny();
    case 'user.list':
    case 'verification.review':
    case 'verification.list':
      return isStaff(actor.role) ? allow : deny();
    case 'user.create':
      return manages(actor.role, target.role ?? 'user') ? allow : deny();
    case 'user.delete':
      if (self) return deny('CANNOT_DELETE_SELF');
      return manages(actor.role, target.role) ? allow : deny();
    case 'user.unlock':
      return !self && manages(actor.role, target.role) ? allow : deny();
    case 'user.set_role':
      if (actor.role !== 'master') return deny();
      if (self) return deny('CANNOT_CHANGE_OWN_ROLE');
      return allow;
    case 'face.enroll':
      if (self) return allow;
      if (!isStaff(actor.role)) return deny('PERMISSION_DENIED');
      return target.role === 'user' && target.status === 'pending_enrollment'
        ? allow
        : deny('ENROLLMENT_NOT_ALLOWED');
    case 'face.read':
    case 'face.delete':
    case 'face.verify':
      return self || isStaff(actor.role) ? allow : deny('PERMISSION_DENIED');
    case 'face.identify':
      return isStaff(actor.role) ? allow : deny('PERMISSION_DENIED');
    // A video and its analysis: its owner, and staff (support, moderation); listing everyone's: staff.
    case 'media.read':
    case 'media.manage':
      return self || isStaff(actor.role) ? allow : deny('PERMISSION_DENIED');
    case 'media.list_all':
      return isStaff(actor.role) ? allow : deny('PERMISSION_DENIED');
  }
}

/** Throws DomainError('forbidden', reason) when `can` refuses; `message` says why to the caller. */
export function assertCan(actor: Actor, action: Action, target: Target = {}, message?: string): void {
  const decision = can(actor, action, target);
  if (!decision.allowed)
    throw new DomainError('forbidden', decision.reason, message ?? `Not allowed: ${action}.`, {
      metadata: { action },
    });
}

/** What an actor may do to a user's account: the dashboard's buttons, from `can`. */
export interface AllowedActions {
  update: boolean;
  delete: boolean;
  setRole: boolean;
  unlock: boolean;
  /** See and revoke the user's sessions, read their sign-in attempts. */
  activity: boolean;
}

export function allowedActions(actor: Actor, target: { id: string; role: string }): AllowedActions {
  const on: Target = { id: target.id, ...(isRole(target.role) ? { role: target.role } : {}) };
  const may = (action: Action) => can(actor, action, on).allowed;
  return {
    update: may('user.update') && actor.id !== target.id,
    delete: may('user.delete'),
    setRole: may('user.set_role'),
    unlock: may('user.unlock'),
    activity: may('user.activity'),
  };
}

/** Roles the actor may give to an account they create. */
export const creatableRoles = (role: Role): Role[] =>
  ROLES.filter((created) => can({ id: '', role }, 'user.create', { role: created }).allowed);
