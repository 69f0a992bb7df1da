/** Every e-mail Guardian sends, with the data its template needs. Built by the notification policy. */
export const TEMPLATE_NAMES = [
  'welcome',
  'login_succeeded',
  'login_failed',
  'account_locked',
  'biometric_enrolled',
  'biometric_removed',
  'password_changed',
  'document_reviewed',
  'video_analyzed',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export interface ClientView {
  ip: string;
  userAgent: string;
}

interface Base {
  /** The recipient's display name; empty falls back to a greeting without a name. */
  name: string;
}

export interface WelcomeData extends Base {
  template: 'welcome';
  username: string;
  /** `password` or `face_only`. */
  registrationKind: string;
}
export interface LoginSucceededData extends Base {
  template: 'login_succeeded';
  /** `password` or `face`. */
  method: string;
  at: Date;
  client: ClientView;
}
export interface LoginFailedData extends Base {
  template: 'login_failed';
  method: string;
  at: Date;
  client: ClientView;
  /** Failures since the previous alert to this user (the digest count), this one included. */
  failures: number;
  /** Consecutive failures as counted by identity (0 when unknown). */
  consecutive: number;
}
export interface AccountLockedData extends Base {
  template: 'account_locked';
  lockedUntil: Date | undefined;
  attemptCount: number;
  /** `password` or `face`. */
  channel: string;
  client: ClientView;
}
export interface BiometricEnrolledData extends Base {
  template: 'biometric_enrolled';
  sampleCount: number;
  updated: boolean;
}
export interface BiometricRemovedData extends Base {
  template: 'biometric_removed';
  /** `user_request`, `admin`, `user_deleted`, or anything else (shown as is). */
  reason: string;
}
export interface PasswordChangedData extends Base {
  template: 'password_changed';
  at: Date;
  client: ClientView;
}
export interface DocumentReviewedData extends Base {
  template: 'document_reviewed';
  documentType: string;
  decision: 'approved' | 'rejected';
  reason: string;
}
/** A video analysis that finished (`succeeded`) or could not (`failed`). */
export interface VideoAnalyzedData extends Base {
  template: 'video_analyzed';
  jobId: string;
  /** The name the user uploaded the file under; may be empty. */
  fileName: string;
  status: 'succeeded' | 'failed';
  // Succeeded:
  dominantExpression: string;
  framesAnalyzed: number;
  durationMs: number;
  /** People (face tracks) seen in the video. */
  people: number;
  // Failed:
  /** The reason code (`CORRUPT_VIDEO`, `VIDEO_TOO_LONG`, ...); anything unknown reads as a generic failure. */
  reason: string;
  /** The video's page in the dashboard; no link without one. */
  resultUrl: string | undefined;
}

export type TemplateData =
  | WelcomeData
  | LoginSucceededData
  | LoginFailedData
  | AccountLockedData
  | BiometricEnrolledData
  | BiometricRemovedData
  | PasswordChangedData
  | DocumentReviewedData
  | VideoAnalyzedData;

/** Security alerts go out whatever the preferences say. */
export const SECURITY_TEMPLATES: ReadonlySet<TemplateName> = new Set([
  'login_failed',
  'account_locked',
  'password_changed',
  'biometric_enrolled',
  'biometric_removed',
]);
