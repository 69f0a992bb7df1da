import type { Role } from '@guardian/auth';

/** What the caller may do to a user: the role rules of identity (apps/identity), for the dashboard's buttons. */
export interface AllowedActions {
  update: boolean;
  delete: boolean;
  setRole: boolean;
  unlock: boolean;
  /** See and revoke the user's sessions, read their sign-in attempts. */
  activity: boolean;
}

/**
 * user < admin < master. Admins manage `user` accounts only; masters manage anyone; nobody deletes
 * themself or changes their own role. identity enforces the same rules: this only decides which
 * buttons the dashboard enables.
 */
export function allowedActions(
  actor: { userId: string; role: Role },
  target: { id: string; role: string },
): AllowedActions {
  const self = actor.userId === target.id;
  const master = actor.role === 'master';
  const admin = actor.role === 'admin' || master;
  const manages = master || (admin && target.role === 'user');
  return {
    update: !self && manages,
    delete: !self && manages,
    setRole: master && !self,
    unlock: !self && manages,
    activity: self || manages,
  };
}

/** Roles the caller may give to a user they create. */
export const creatableRoles = (role: Role): Role[] =>
  role === 'master' ? ['user', 'admin', 'master'] : role === 'admin' ? ['user'] : [];
