/**
 * Mail transport outcome classification. Transient failures (429, 5xx, network, a concurrent request
 * with the same idempotency key) are retried with backoff; anything else is permanent (a 4xx says
 * the request itself is wrong and will stay wrong).
 */
export interface TransportErrorInfo {
  /** HTTP status, or null when no response arrived (network error, timeout). */
  statusCode: number | null;
  /** Provider error name, e.g. Resend's `rate_limit_exceeded`, `validation_error`, `application_error`. */
  name: string;
  message: string;
  /** `Retry-After` response header, when the provider sent one. */
  retryAfter?: string | null;
}

export type TransportFailure =
  { kind: 'transient'; retryAfterMs: number; reason: string } | { kind: 'permanent'; reason: string };

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

/** Exponential backoff with ±20 % jitter: attempt 1 -> ~base, 2 -> ~2×base, ... capped at max. */
export function retryDelayMs(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = 1 + (random() * 0.4 - 0.2);
  return Math.max(0, Math.min(policy.maxMs, Math.round(exponential * jitter)));
}

/** `Retry-After` as milliseconds (seconds or an HTTP date), or undefined. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: Date = new Date(),
): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}

const TRANSIENT_NAMES = new Set([
  'rate_limit_exceeded',
  'concurrent_idempotent_requests',
  'internal_server_error',
  'application_error',
]);

export function classifyTransportError(
  error: TransportErrorInfo,
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): TransportFailure {
  const status = error.statusCode;
  const reason = `${status ?? 'network'} ${error.name}: ${error.message}`.slice(0, 500);
  const transient =
    status === null
      ? TRANSIENT_NAMES.has(error.name)
      : status === 429 ||
        status >= 500 ||
        (status === 409 && error.name === 'concurrent_idempotent_requests') ||
        status === 408;
  if (!transient) return { kind: 'permanent', reason };
  const advised = parseRetryAfter(error.retryAfter);
  const retryAfterMs =
    advised !== undefined ? Math.min(policy.maxMs, advised) : retryDelayMs(attempt, policy, random);
  return { kind: 'transient', retryAfterMs, reason };
}
