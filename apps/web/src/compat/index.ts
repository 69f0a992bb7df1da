/** The compatibility profiles, one per system Guardian replaces (each documented in its README.md). */
import { deepemotionProfile } from './deepemotion/profile.js';
import { flaskFaceManualProfile } from './flask-face-manual/profile.js';
import { flaskFaceRestProfile } from './flask-face-rest/profile.js';
import { flaskRolesProfile } from './flask-roles/profile.js';
import type { CompatProfile } from './kit.js';
import { guardiaoProfile } from './guardiao/profile.js';

export const COMPAT_PROFILES: readonly CompatProfile[] = [
  flaskFaceManualProfile,
  guardiaoProfile,
  flaskFaceRestProfile,
  flaskRolesProfile,
  deepemotionProfile,
];
