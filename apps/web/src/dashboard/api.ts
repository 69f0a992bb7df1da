import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink, TRPCClientError } from '@trpc/client';
import type { AppRouter, RouterOutputs } from '../router/root.js';

export type { RouterOutputs };

/** The CSRF token the BFF set in the readable cookie at sign-in (double submit). */
export function csrfToken(): string {
  const match = /(?:^|;\s*)guardian_csrf=([^;]+)/.exec(document.cookie);
  return match ? decodeURIComponent(match[1]!) : '';
}

let refreshing: Promise<boolean> | undefined;
let onSignedOut: () => void = () => undefined;
export const whenSignedOut = (handler: () => void) => (onSignedOut = handler);

/** Renews the access cookie once for everyone waiting (refresh tokens rotate: never twice in parallel). */
function refreshSession(): Promise<boolean> {
  refreshing ??= fetch('/trpc/auth.refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken() },
    body: '{}',
    credentials: 'same-origin',
  })
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => (refreshing = undefined));
  return refreshing;
}

/**
 * fetch for tRPC and the video upload: sends the CSRF header, renews an expired access cookie once
 * and retries.
 */
export const sessionFetch: typeof fetch = async (input, init) => {
  const send = () =>
    fetch(input, {
      ...init,
      credentials: 'same-origin',
      headers: { ...(init?.headers as Record<string, string>), 'x-csrf-token': csrfToken() },
    });
  const response = await send();
  const url = String(input instanceof Request ? input.url : input);
  if (
    response.status !== 401 ||
    url.includes('auth.login') ||
    url.includes('auth.faceLogin') ||
    url.includes('auth.refresh')
  )
    return response;
  if (await refreshSession()) return send();
  onSignedOut();
  return response;
};

export const api = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({ url: '/trpc', eventSourceOptions: { withCredentials: true } }),
      false: httpLink({ url: '/trpc', fetch: sessionFetch }),
    }),
  ],
});

/** Human messages for the reason codes the API answers with (`error.data.reason`, a video's `failureReason`). */
const REASONS: Record<string, string> = {
  INVALID_CREDENTIALS: 'The username or password is not right.',
  ACCOUNT_LOCKED: 'This account is locked for a while after too many failed attempts.',
  TOO_MANY_ATTEMPTS: 'Too many attempts. Wait a moment and try again.',
  RATE_LIMITED: 'Too many attempts from your network. Wait a moment and try again.',
  USERNAME_TAKEN: 'That username is already taken.',
  EMAIL_TAKEN: 'That e-mail address is already in use.',
  WEAK_PASSWORD: 'Choose a longer, less common password.',
  NO_FACE: 'No face was found. Keep your face in view, in good light.',
  MULTIPLE_FACES: 'More than one face is in view. Only you may be in front of the camera.',
  MOVE_NOT_SEEN: 'The moves were not seen. Follow each prompt with a clear head move, then try again.',
  WRONG_ORDER: 'The moves were not made in the order asked. Start again and follow the prompts.',
  DISCONTINUITY: 'The video was interrupted. Keep still in front of the camera and try again.',
  IDENTITY_CHANGED: 'The face changed during the check. Only you may be in front of the camera.',
  LIVENESS_EXPIRED: 'The check took too long. Start it again.',
  LIVENESS_REUSED: 'This check was already used. Start a new one.',
  LIVENESS_MISMATCH: 'This check was started for another sign-in. Start a new one.',
  LIVENESS_INVALID: 'The check is not valid. Start a new one.',
  LIVENESS_REQUIRED: 'A camera check is required. Use "Sign in with the camera".',
  TOO_FEW_FRAMES: 'Too few pictures reached us. Keep the page open until the check ends.',
  TOO_MANY_FRAMES: 'Too many pictures were sent. Reload the page and try again.',
  FRAME_RATE: 'The camera delivered pictures too slowly or too fast. Try again.',
  CAPTURE_TOO_LONG: 'The check took too long. Start it again.',
  BAD_FRAME_TIMES: 'The pictures arrived out of order. Try again.',
  CORRUPT_VIDEO: 'The video could not be read.',
  VIDEO_DECODER_UNAVAILABLE: 'Videos cannot be read here; the camera check sends pictures instead.',
  STEP_UP_REQUIRED: 'Sign in again (less than 5 minutes ago) before replacing your face.',
  FACE_NOT_MATCHED: 'The face was not recognised. Try again, or sign in with your password.',
  UNSUPPORTED_FORMAT: 'That file type is not supported.',
  PAYLOAD_TOO_LARGE: 'That file is too large.',
  CSRF_TOKEN_INVALID: 'Your session expired. Please reload the page.',
  VIDEO_TOO_LONG: 'That video is too long to analyse.',
  UPLOAD_INCOMPLETE: 'The upload did not finish. Send the file again.',
  UPLOAD_OFFSET_MISMATCH: 'The upload got out of step with the server. Send the file again.',
  UPLOAD_CLOSED: 'This upload is already finished or was cancelled. Start a new one.',
  UPLOAD_INTERRUPTED:
    'The connection was lost and the upload could not resume. Check your connection and try again.',
  VIDEO_NOT_FOUND: 'That video does not exist, or it is not yours.',
  VIDEO_FINISHED: 'That video has already finished.',
  DECODER_UNAVAILABLE: 'Videos cannot be analysed on this server right now.',
  ANALYSIS_FAILED: 'The analysis failed. Try again, or with another file.',
  PERMISSION_DENIED: 'You are not allowed to do that.',
  SESSION_EXPIRED: 'Your session expired. Sign in again.',
};

/** The human message for a reason code (an unknown code is shown as it is). */
export const describeReason = (reason: string): string =>
  REASONS[reason] ?? `The request failed (${reason}).`;

/** A message a person understands, from any failure. */
export function describeError(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const data = error.data as { reason?: string; httpStatus?: number } | undefined;
    if (data?.reason && REASONS[data.reason]) return REASONS[data.reason]!;
    if (data?.httpStatus === 503) return 'A service is not reachable right now. Try again in a moment.';
    return error.message;
  }
  if (error instanceof TypeError) return 'The server cannot be reached. Check your connection.';
  return error instanceof Error ? error.message : String(error);
}

export const reasonOf = (error: unknown): string | undefined =>
  error instanceof TRPCClientError ? (error.data as { reason?: string } | undefined)?.reason : undefined;

export function fileToDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('cannot read the file'));
    reader.readAsDataURL(file);
  });
}
