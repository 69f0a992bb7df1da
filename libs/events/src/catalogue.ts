import type { MessageFns } from '@guardian/proto/gen/guardian/events/v1/identity';
import {
  BiometricAuthFailed,
  BiometricAuthSucceeded,
  BiometricEnrolled,
  BiometricLivenessFailed,
  BiometricRemoved,
} from '@guardian/proto/gen/guardian/events/v1/biometric';
import {
  AccountLocked,
  LoginFailed,
  LoginSucceeded,
  PasswordChanged,
  SessionRevoked,
  UserDeleted,
  UserRegistered,
  UserUpdated,
} from '@guardian/proto/gen/guardian/events/v1/identity';
import { VideoAnalyzed, VideoFailed, VideoSubmitted } from '@guardian/proto/gen/guardian/events/v1/media';
import { DocumentReviewed, DocumentSubmitted } from '@guardian/proto/gen/guardian/events/v1/verification';

/**
 * The event catalogue (DESIGN.md §3): CloudEvents type = NATS subject (before the deployment's
 * prefix) -> protobuf message. Subjects read `<domain>.<entity>.<past-tense verb>`.
 */
export const CATALOGUE = {
  'identity.user.registered': UserRegistered,
  'identity.user.updated': UserUpdated,
  'identity.user.deleted': UserDeleted,
  'identity.login.succeeded': LoginSucceeded,
  'identity.login.failed': LoginFailed,
  'identity.account.locked': AccountLocked,
  'identity.session.revoked': SessionRevoked,
  'identity.password.changed': PasswordChanged,
  'verification.document.submitted': DocumentSubmitted,
  'verification.document.reviewed': DocumentReviewed,
  'biometric.enrolled': BiometricEnrolled,
  'biometric.removed': BiometricRemoved,
  'biometric.auth.succeeded': BiometricAuthSucceeded,
  'biometric.auth.failed': BiometricAuthFailed,
  'biometric.liveness.failed': BiometricLivenessFailed,
  'media.video.submitted': VideoSubmitted,
  'media.video.analyzed': VideoAnalyzed,
  'media.video.failed': VideoFailed,
} as const;

export type EventType = keyof typeof CATALOGUE;
export type EventPayload<T extends EventType> = (typeof CATALOGUE)[T] extends MessageFns<infer M> ? M : never;

/** The subject families the one stream captures; `deadletter.>` holds events no consumer could handle. */
export const STREAM_SUBJECT_ROOTS = ['identity', 'verification', 'biometric', 'media', 'deadletter'] as const;

export const isEventType = (value: string): value is EventType => Object.hasOwn(CATALOGUE, value);

export function encodePayload<T extends EventType>(type: T, payload: EventPayload<T>): Uint8Array {
  const codec = CATALOGUE[type] as unknown as MessageFns<EventPayload<T>>;
  return codec.encode(codec.fromPartial(payload as never)).finish();
}

export function decodePayload<T extends EventType>(type: T, data: Uint8Array): EventPayload<T> {
  const codec = CATALOGUE[type] as unknown as MessageFns<EventPayload<T>>;
  return codec.decode(data);
}
