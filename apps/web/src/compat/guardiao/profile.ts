/** Origin 001 (`../shared/origins/001-*`): see ./README.md for every call and how Guardian answers it. */
import type { CompatProfile } from '../kit.js';

export const guardiaoProfile: CompatProfile = {
  name: 'guardiao',
  title: 'Guardião biometrics API (001, pt-BR)',
  auth: 'bearer',
  routes: [],
  error: ({ status, reason, message }) => ({ status, body: { error: reason, message } }),
};
