import { describe, expect, it } from 'vitest';
import { DomainError } from '@guardian/domain';
import { type Action, type Role, ROLES, allowedActions, assertCan, can, creatableRoles } from './roles.js';

const actorOf = (role: Role) => ({ id: `${role}-actor`, role });
const other = (role: Role) => ({ id: `${role}-target`, role });

/** Expected outcome for actor × action × target role on someone else's account. */
const expected: Record<
  Role,
  Record<
    Exclude<
      Action,
      | 'user.list'
      | 'verification.review'
      | 'verification.list'
      | 'face.enroll'
      | 'face.identify'
      | 'media.list_all'
    >,
    Role[]
  >
> = {
  user: {
    'user.read': [],
    'user.create': [],
    'user.update': [],
    'user.change_username': [],
    'user.delete': [],
    'user.set_role': [],
    'user.unlock': [],
    'user.activity': [],
    'verification.read': [],
    'face.read': [],
    'face.delete': [],
    'face.verify': [],
    'media.read': [],
    'media.manage': [],
  },
  admin: {
    'user.read': ['user', 'admin', 'master'],
    'user.create': ['user'],
    'user.update': ['user'],
    'user.change_username': ['user'],
    'user.delete': ['user'],
    'user.set_role': [],
    'user.unlock': ['user'],
    'user.activity': ['user'],
    'verification.read': ['user', 'admin', 'master'],
    'face.read': ['user', 'admin', 'master'],
    'face.delete': ['user', 'admin', 'master'],
    'face.verify': ['user', 'admin', 'master'],
    'media.read': ['user', 'admin', 'master'],
    'media.manage': ['user', 'admin', 'master'],
  },
  master: {
    'user.read': ['user', 'admin', 'master'],
    'user.create': ['user', 'admin', 'master'],
    'user.update': ['user', 'admin', 'master'],
    'user.change_username': ['user', 'admin', 'master'],
    'user.delete': ['user', 'admin', 'master'],
    'user.set_role': ['user', 'admin', 'master'],
    'user.unlock': ['user', 'admin', 'master'],
    'user.activity': ['user', 'admin', 'master'],
    'verification.read': ['user', 'admin', 'master'],
    'face.read': ['user', 'admin', 'master'],
    'face.delete': ['user', 'admin', 'master'],
    'face.verify': ['user', 'admin', 'master'],
    'media.read': ['user', 'admin', 'master'],
    'media.manage': ['user', 'admin', 'master'],
  },
};

describe('roles', () => {
  describe('can (on other accounts)', () => {
    for (const actor of ROLES) {
      for (const [action, allowedTargets] of Object.entries(expected[actor])) {
        for (const target of ROLES) {
          const allowed = allowedTargets.includes(target);
          it(`${actor} ${allowed ? 'may' : 'may not'} ${action} a ${target}`, () => {
            const t = action === 'user.create' ? { role: target } : other(target);
            expect(can(actorOf(actor), action as Action, t).allowed).toBe(allowed);
          });
        }
      }
    }
  });

  describe('can (role-only actions)', () => {
    it.each([
      ['user', false],
      ['admin', true],
      ['master', true],
    ] as const)('%s listing users / reviewing documents: %s', (role, allowed) => {
      for (const action of ['user.list', 'verification.review', 'verification.list'] as const)
        expect(can(actorOf(role), action).allowed).toBe(allowed);
    });
  });

  describe('can (own account)', () => {
    for (const role of ROLES) {
      const self = { id: `${role}-actor`, role };
      it(`${role} reads and updates own account`, () => {
        expect(can(actorOf(role), 'user.read', self).allowed).toBe(true);
        expect(can(actorOf(role), 'user.update', self).allowed).toBe(true);
        expect(can(actorOf(role), 'verification.read', self).allowed).toBe(true);
        expect(can(actorOf(role), 'user.activity', self).allowed).toBe(true);
      });
      it(`${role} cannot delete self, change own username or own role`, () => {
        expect(can(actorOf(role), 'user.delete', self)).toEqual({
          allowed: false,
          reason: 'CANNOT_DELETE_SELF',
        });
        expect(can(actorOf(role), 'user.change_username', self)).toEqual({
          allowed: false,
          reason: 'CANNOT_CHANGE_OWN_USERNAME',
        });
        expect(can(actorOf(role), 'user.set_role', self)).toEqual({
          allowed: false,
          reason: role === 'master' ? 'CANNOT_CHANGE_OWN_ROLE' : 'FORBIDDEN',
        });
      });
    }
  });

  describe('faces', () => {
    it("enrolls one's own face; staff only a user account awaiting its first face", () => {
      for (const role of ROLES) {
        expect(can(actorOf(role), 'face.enroll', { id: `${role}-actor`, role }).allowed).toBe(true);
        for (const target of ROLES)
          for (const status of ['active', 'pending_enrollment', 'disabled']) {
            const decision = can(actorOf(role), 'face.enroll', { ...other(target), status });
            const allowed = role !== 'user' && target === 'user' && status === 'pending_enrollment';
            expect(decision, `${role} enrolls a ${status} ${target}`).toEqual(
              allowed
                ? { allowed: true }
                : {
                    allowed: false,
                    reason: role === 'user' ? 'PERMISSION_DENIED' : 'ENROLLMENT_NOT_ALLOWED',
                  },
            );
          }
      }
    });
    it("lists every user's videos as staff only", () => {
      expect(can(actorOf('user'), 'media.list_all')).toEqual({ allowed: false, reason: 'PERMISSION_DENIED' });
      expect(can(actorOf('admin'), 'media.list_all').allowed).toBe(true);
    });
    it('searches all faces as staff only', () => {
      expect(can(actorOf('user'), 'face.identify')).toEqual({ allowed: false, reason: 'PERMISSION_DENIED' });
      expect(can(actorOf('admin'), 'face.identify').allowed).toBe(true);
    });
  });

  describe('allowedActions and creatableRoles (the dashboard)', () => {
    const actor = (role: Role) => ({ id: role[0]!, role });
    it('lets an admin manage users but not admins or masters', () => {
      expect(allowedActions(actor('admin'), { id: 'x', role: 'user' })).toEqual({
        update: true,
        delete: true,
        setRole: false,
        unlock: true,
        activity: true,
      });
      expect(Object.values(allowedActions(actor('admin'), { id: 'y', role: 'admin' }))).not.toContain(true);
    });
    it('lets a master manage anyone but themself, and see their own activity', () => {
      expect(Object.values(allowedActions(actor('master'), { id: 'y', role: 'admin' }))).not.toContain(false);
      expect(allowedActions(actor('master'), { id: 'm', role: 'master' })).toEqual({
        update: false,
        delete: false,
        setRole: false,
        unlock: false,
        activity: true,
      });
    });
    it('lets a user do nothing to others', () => {
      expect(Object.values(allowedActions(actor('user'), { id: 'x', role: 'user' }))).not.toContain(true);
    });
    it('creates the roles the actor manages', () => {
      expect(creatableRoles('master')).toEqual(['user', 'admin', 'master']);
      expect(creatableRoles('admin')).toEqual(['user']);
      expect(creatableRoles('user')).toEqual([]);
    });
  });

  describe('assertCan', () => {
    it('throws a forbidden DomainError with the reason', () => {
      try {
        assertCan(actorOf('admin'), 'user.set_role', other('user'));
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(DomainError);
        expect(error).toMatchObject({ kind: 'forbidden', reason: 'FORBIDDEN' });
      }
    });
  });
});
