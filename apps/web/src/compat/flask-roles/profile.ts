/** Origin 003 (`../shared/origins/003-*`): see ./README.md for every call and how Guardian answers it. */
import type { CompatProfile } from '../kit.js';

export const flaskRolesProfile: CompatProfile = {
  name: 'flask-roles',
  title: 'Flask user/admin/master API (003, pt-BR)',
  auth: 'bearer',
  routes: [],
  error: ({ status, reason, message }) => ({ status, body: { error: reason, message } }),
};
