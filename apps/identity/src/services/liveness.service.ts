/**
 * Liveness sessions (docs/liveness.md): identity, which owns sign-in, issues each challenge as a token
 * signed with its own key (libs/auth liveness.ts) and checks a sign-in capture's session against the
 * name it signs in with; biometrics scores the capture and spends the session. Nothing is stored here:
 * the token carries the challenge, and single use is enforced where the capture is scored.
 */
import {
  type AccessClaims,
  type CachedJwks,
  FRAME_BUDGET,
  type FrameBudget,
  type KeyRing,
  type LivenessChallenge,
  type LivenessPurpose,
  issueLivenessChallenge,
  normalizeIdentifier,
  verifyLivenessChallenge,
} from '@guardian/auth';
import { DomainError, invalid } from '@guardian/domain';
import type { ClientContext } from './events.js';

export interface StartedLiveness {
  session: string;
  challenge: LivenessChallenge;
  budget: FrameBudget;
}

export interface LivenessSessionDeps {
  keys: KeyRing;
  /** identity's own public keys (to read back the sessions it signed). */
  ownJwks: CachedJwks;
  ttlSec: number;
}

export class LivenessSessions {
  constructor(private readonly deps: LivenessSessionDeps) {}

  /**
   * A new challenge. `sign_in`: anyone (the sign-in has not happened yet), bound to the name typed
   * (not checked here, so the answer tells nobody whether it exists). `enroll`: for an account the
   * caller is (access or enrollment token) or an administrator of; biometrics checks the enrollment
   * rules themselves.
   */
  async start(
    input: { purpose: string; identifier: string; userId: string; client: ClientContext },
    caller: () => Promise<Pick<AccessClaims, 'userId' | 'role'>>,
  ): Promise<StartedLiveness> {
    const purpose = input.purpose as LivenessPurpose;
    if (purpose !== 'sign_in' && purpose !== 'enroll')
      throw invalid('INVALID_PURPOSE', 'purpose must be "sign_in" or "enroll".');
    if (input.identifier.length > 320) throw invalid('INVALID_IDENTIFIER', 'The identifier is too long.');
    let userId = '';
    if (purpose === 'enroll') {
      const actor = await caller();
      userId = input.userId.trim() || actor.userId;
      if (userId !== actor.userId && actor.role === 'user')
        throw new DomainError(
          'forbidden',
          'FORBIDDEN',
          'You may start an enrollment check for your own account only.',
        );
    }
    const { token, challenge } = await issueLivenessChallenge(this.deps.keys, {
      purpose,
      ...(purpose === 'enroll' ? { userId } : { identifier: input.userId.trim() || input.identifier }),
      client: input.client,
      ttlSec: this.deps.ttlSec,
    });
    return { session: token, challenge, budget: FRAME_BUDGET };
  }

  /** A sign-in capture's session: signed here, unexpired, for this client and the name signing in. */
  async forSignIn(session: string, name: string, client: ClientContext): Promise<LivenessChallenge> {
    const challenge = await verifyLivenessChallenge(this.deps.ownJwks, session, {
      purpose: 'sign_in',
      client,
    });
    if (challenge.identifier !== normalizeIdentifier(name))
      throw new DomainError(
        'forbidden',
        'LIVENESS_MISMATCH',
        'The liveness session was started for another sign-in; start a new one.',
      );
    return challenge;
  }
}
