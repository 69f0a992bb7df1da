import { describe, expect, it } from 'vitest';
import { allowedActions, creatableRoles } from './rules.js';

const master = { userId: 'm', role: 'master' as const };
const admin = { userId: 'a', role: 'admin' as const };
const user = { userId: 'u', role: 'user' as const };

describe('rules', () => {
  describe('allowedActions', () => {
    it('lets an admin manage users but not admins or masters', () => {
      expect(allowedActions(admin, { id: 'x', role: 'user' })).toEqual({
        update: true,
        delete: true,
        setRole: false,
        unlock: true,
        activity: true,
      });
      expect(allowedActions(admin, { id: 'y', role: 'admin' })).toEqual({
        update: false,
        delete: false,
        setRole: false,
        unlock: false,
        activity: false,
      });
    });

    it('lets a master manage anyone but themself', () => {
      expect(allowedActions(master, { id: 'y', role: 'admin' })).toEqual({
        update: true,
        delete: true,
        setRole: true,
        unlock: true,
        activity: true,
      });
      expect(allowedActions(master, { id: 'm', role: 'master' })).toEqual({
        update: false,
        delete: false,
        setRole: false,
        unlock: false,
        activity: true,
      });
    });

    it('lets a user do nothing to others', () => {
      expect(allowedActions(user, { id: 'x', role: 'user' })).toEqual({
        update: false,
        delete: false,
        setRole: false,
        unlock: false,
        activity: false,
      });
    });
  });

  describe('creatableRoles', () => {
    it('follows the role hierarchy', () => {
      expect(creatableRoles('master')).toEqual(['user', 'admin', 'master']);
      expect(creatableRoles('admin')).toEqual(['user']);
      expect(creatableRoles('user')).toEqual([]);
    });
  });
});
