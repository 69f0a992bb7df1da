/** Origin 000 (`../shared/origins/000-*`): see ./README.md for every call and how Guardian answers it. */
import type { CompatProfile } from '../kit.js';

export const flaskFaceManualProfile: CompatProfile = {
  name: 'flask-face-manual',
  title: 'Flask login, registration and face manual (000, pt-BR)',
  auth: 'raw',
  routes: [],
  error: ({ status, reason, message }) => ({ status, body: { error: reason, message } }),
};
