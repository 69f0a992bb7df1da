/**
 * Liveness challenges: identity issues them (StartLiveness) as a signed token, biometrics scores the
 * capture against the challenge the token carries. The token is the session: its jti is the session
 * id, single use is enforced where the capture is scored (biometrics records every session it scores
 * under that id), and the client binding (IP and user agent) and the purpose and account binding are
 * claims nobody can change without identity's key.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { DomainError } from '@guardian/domain';
import { type CachedJwks, ACCESS_TOKEN_ISSUER, verifyJwt } from './verifier.js';
import type { KeyRing } from './keyring.js';

export const LIVENESS_ACTIONS = ['turn_left', 'turn_right', 'look_up', 'look_down', 'blink'] as const;
export type LivenessAction = (typeof LIVENESS_ACTIONS)[number];
export const isLivenessAction = (value: unknown): value is LivenessAction =>
  typeof value === 'string' && (LIVENESS_ACTIONS as readonly string[]).includes(value);

/** What a session is for: a face sign-in, or a face enrollment (of `userId`). */
export type LivenessPurpose = 'sign_in' | 'enroll';

export const LIVENESS_CHALLENGE_AUDIENCE = 'guardian-liveness';

/** The capture a challenge accepts (the client paces itself by it; biometrics enforces it). */
export interface FrameBudget {
  minFrames: number;
  maxFrames: number;
  minFps: number;
  maxFps: number;
  maxDurationMs: number;
  /** Bytes of one frame, and of a whole capture (frames or clip). */
  maxFrameBytes: number;
  maxCaptureBytes: number;
}

export const FRAME_BUDGET: FrameBudget = {
  minFrames: 6,
  maxFrames: 48,
  minFps: 2,
  maxFps: 10,
  maxDurationMs: 8000,
  maxFrameBytes: 512 * 1024,
  maxCaptureBytes: 8 * 1024 * 1024,
};

export interface LivenessChallenge {
  sessionId: string;
  purpose: LivenessPurpose;
  actions: LivenessAction[];
  issuedAt: Date;
  expiresAt: Date;
  /** Enroll: the account whose face is enrolled. */
  userId: string;
  /** Sign-in: the name the client signs in with (lower case; empty for a sign-in without a name). */
  identifier: string;
  /** sha256 of the client's IP and user agent (clientBinding). */
  client: string;
}

/** The client a session is bound to, as a digest (the token is readable by its holder). */
export function clientBinding(client: { ip: string; userAgent: string }): string {
  return createHash('sha256').update(`${client.ip}\n${client.userAgent}`).digest('base64url');
}

/** 2..3 actions in a random order, no action twice in a row (crypto randomness: not guessable). */
export function randomActions(count = randomInt(2, 4)): LivenessAction[] {
  const actions: LivenessAction[] = [];
  while (actions.length < count) {
    const next = LIVENESS_ACTIONS[randomInt(LIVENESS_ACTIONS.length)]!;
    if (next !== actions.at(-1)) actions.push(next);
  }
  return actions;
}

export const normalizeIdentifier = (identifier: string): string => identifier.trim().toLowerCase();

/** Signs a new challenge (identity). */
export async function issueLivenessChallenge(
  keys: KeyRing,
  input: {
    purpose: LivenessPurpose;
    userId?: string;
    identifier?: string;
    client: { ip: string; userAgent: string };
    ttlSec: number;
    actions?: LivenessAction[];
  },
): Promise<{ token: string; challenge: LivenessChallenge }> {
  const sessionId = randomUUID();
  const actions = input.actions ?? randomActions();
  const identifier = normalizeIdentifier(input.identifier ?? '');
  const client = clientBinding(input.client);
  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const token = await keys.sign(
    { pur: input.purpose, act: actions, idf: identifier, cli: client },
    {
      issuer: ACCESS_TOKEN_ISSUER,
      audience: LIVENESS_CHALLENGE_AUDIENCE,
      subject: input.userId ?? '',
      expiresInSec: input.ttlSec,
      jti: sessionId,
    },
  );
  return {
    token,
    challenge: {
      sessionId,
      purpose: input.purpose,
      actions,
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + input.ttlSec * 1000),
      userId: input.userId ?? '',
      identifier,
      client,
    },
  };
}

const expired = () =>
  new DomainError('unauthenticated', 'LIVENESS_EXPIRED', 'the liveness session has expired; start a new one');

/**
 * Verifies a challenge token (signature, audience, expiry) and its binding to the client and the
 * purpose: LIVENESS_EXPIRED for an expired or unreadable one, LIVENESS_MISMATCH for a session made
 * for another client or purpose.
 */
export async function verifyLivenessChallenge(
  jwks: CachedJwks,
  token: string,
  expected: { purpose: LivenessPurpose; client: { ip: string; userAgent: string } },
): Promise<LivenessChallenge> {
  if (!token) throw new DomainError('invalid', 'LIVENESS_REQUIRED', 'a liveness session is required');
  let payload;
  try {
    payload = await verifyJwt(jwks, token, {
      issuer: ACCESS_TOKEN_ISSUER,
      audience: LIVENESS_CHALLENGE_AUDIENCE,
    });
  } catch (error) {
    if (error instanceof DomainError && error.reason === 'TOKEN_EXPIRED') throw expired();
    throw new DomainError('unauthenticated', 'LIVENESS_INVALID', 'the liveness session is not valid');
  }
  const { jti, sub, iat, exp, pur, act, idf, cli } = payload;
  if (
    typeof jti !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    (pur !== 'sign_in' && pur !== 'enroll') ||
    !Array.isArray(act) ||
    !act.every(isLivenessAction) ||
    typeof cli !== 'string'
  )
    throw new DomainError('unauthenticated', 'LIVENESS_INVALID', 'the liveness session is not valid');
  if (pur !== expected.purpose || cli !== clientBinding(expected.client))
    throw new DomainError(
      'forbidden',
      'LIVENESS_MISMATCH',
      'the liveness session was started for another client or operation',
    );
  return {
    sessionId: jti,
    purpose: pur,
    actions: act,
    issuedAt: new Date(iat * 1000),
    expiresAt: new Date(exp * 1000),
    userId: typeof sub === 'string' ? sub : '',
    identifier: typeof idf === 'string' ? idf : '',
    client: cli,
  };
}
