/** The compatibility profiles, one per system Guardian replaces (docs: ./README.md). */
import type { CompatProfile } from './kit.js';

export const COMPAT_PROFILES: readonly CompatProfile[] = [];
