import { describe, expect, it } from 'vitest';
import { type VerificationInput, verificationOutcome } from './verification-status.js';

const now = new Date('2026-03-01T12:00:00Z');
const input = (overrides: Partial<VerificationInput> = {}): VerificationInput => ({
  role: 'user',
  status: 'active',
  biometricEnrolled: true,
  documents: [{ type: 'passport', status: 'approved' }],
  ...overrides,
});

describe('verificationOutcome', () => {
  it('verifies an approved identity document plus a face enrollment, and lets the user in', () => {
    expect(verificationOutcome(input(), now)).toEqual({
      total: 1,
      pending: 0,
      approved: 1,
      rejected: 0,
      verified: true,
      canUseSystem: true,
    });
  });
  it('does not verify without enrollment', () => {
    expect(verificationOutcome(input({ biometricEnrolled: false }), now)).toMatchObject({
      verified: false,
      canUseSystem: false,
    });
  });
  it('does not verify with only proof of address, pending or rejected identity documents', () => {
    const documents = [
      { type: 'proof_of_address', status: 'approved' },
      { type: 'id_card', status: 'pending' },
      { type: 'driver_license', status: 'rejected' },
    ] as const;
    expect(verificationOutcome(input({ documents }), now)).toEqual({
      total: 3,
      pending: 1,
      approved: 1,
      rejected: 1,
      verified: false,
      canUseSystem: false,
    });
  });
  it('exempts staff from verification for can_use_system but not from verified', () => {
    expect(
      verificationOutcome(input({ role: 'admin', documents: [], biometricEnrolled: false }), now),
    ).toMatchObject({ verified: false, canUseSystem: true });
  });
  it('refuses the system to locked, pending or disabled accounts even when verified', () => {
    expect(
      verificationOutcome(input({ lockedUntil: new Date(now.getTime() + 1000) }), now).canUseSystem,
    ).toBe(false);
    expect(
      verificationOutcome(input({ lockedUntil: new Date(now.getTime() - 1000) }), now).canUseSystem,
    ).toBe(true);
    expect(verificationOutcome(input({ status: 'pending_enrollment' }), now).canUseSystem).toBe(false);
    expect(verificationOutcome(input({ status: 'disabled' }), now).canUseSystem).toBe(false);
  });
});
