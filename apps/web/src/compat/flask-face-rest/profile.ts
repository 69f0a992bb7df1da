/** Origin 002 (`../shared/origins/002-*`): see ./README.md for every call and how Guardian answers it. */
import type { CompatProfile } from '../kit.js';

export const flaskFaceRestProfile: CompatProfile = {
  name: 'flask-face-rest',
  title: 'Flask face REST API (002, es)',
  auth: 'raw',
  routes: [],
  error: ({ status, reason, message }) => ({ status, body: { error: reason, message } }),
};
