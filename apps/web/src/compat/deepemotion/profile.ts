/** Origin 004 (`../shared/origins/004-*`): see ./README.md for every call and how Guardian answers it. */
import type { CompatProfile } from '../kit.js';

export const deepemotionProfile: CompatProfile = {
  name: 'deepemotion',
  title: 'DeepEmotion video API v2 (004, pt-BR)',
  auth: 'bearer',
  routes: [],
  error: ({ status, reason, message }) => ({ status, body: { error: reason, message } }),
};
