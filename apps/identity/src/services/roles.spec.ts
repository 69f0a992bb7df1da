import { describe, expect, it } from 'vitest';
import { DomainError } from '@guardian/domain';
import { type Action, type Role, ROLES, assertCan, can } from './roles.js';

const actorOf = (role: Role) => ({ id: `${role}-actor`, role });
const other = (role: Role) => ({ id: `${role}-target`, role });

/** Expected outcome for actor × action × target role on someone else's account. */
const expected: Record<
  Role,
  Record<Exclude<Action, 'user.list' | 'verification.review' | 'verification.list'>, Role[]>
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
