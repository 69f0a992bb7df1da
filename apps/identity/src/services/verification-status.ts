/**
 * Verification status of a user (the rule, documented in README.md):
 * - `verified` = at least one APPROVED identity document (id_card, passport or driver_license) AND an
 *   active biometric enrollment (kept from biometric.enrolled / biometric.removed events).
 *   A proof_of_address alone never verifies anyone; a rejected or pending document never counts.
 * - `can_use_system` = the account is `active` (not pending_enrollment, not disabled) and not locked
 *   now, AND (`verified` OR the role is admin/master — staff accounts are created by a master and are
 *   exempt from KYC).
 */
import type { Role } from '@guardian/auth';

export const DOCUMENT_TYPES = ['id_card', 'passport', 'driver_license', 'proof_of_address'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export const IDENTITY_DOCUMENT_TYPES: readonly DocumentType[] = ['id_card', 'passport', 'driver_license'];

export type DocumentStatus = 'pending' | 'approved' | 'rejected';
export type AccountStatus = 'active' | 'pending_enrollment' | 'disabled';

export interface DocumentSummary {
  type: DocumentType;
  status: DocumentStatus;
}

export interface VerificationInput {
  role: Role;
  status: AccountStatus;
  lockedUntil?: Date | null | undefined;
  biometricEnrolled: boolean;
  documents: readonly DocumentSummary[];
}

export interface VerificationOutcome {
  total: number;
  pending: number;
  approved: number;
  rejected: number;
  verified: boolean;
  canUseSystem: boolean;
}

export function verificationOutcome(input: VerificationInput, now: Date): VerificationOutcome {
  const count = (status: DocumentStatus) => input.documents.filter((d) => d.status === status).length;
  const hasApprovedIdentity = input.documents.some(
    (d) => d.status === 'approved' && IDENTITY_DOCUMENT_TYPES.includes(d.type),
  );
  const verified = hasApprovedIdentity && input.biometricEnrolled;
  const locked = !!input.lockedUntil && input.lockedUntil.getTime() > now.getTime();
  const staff = input.role === 'admin' || input.role === 'master';
  return {
    total: input.documents.length,
    pending: count('pending'),
    approved: count('approved'),
    rejected: count('rejected'),
    verified,
    canUseSystem: input.status === 'active' && !locked && (verified || staff),
  };
}
