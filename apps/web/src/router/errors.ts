import { isDomainError, type DomainError, type ErrorKind } from '@guardian/domain';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';

/** DESIGN.md §3: a DomainError's kind decides the tRPC code and so the HTTP status. */
const CODE_BY_KIND: Record<ErrorKind, TRPC_ERROR_CODE_KEY> = {
  invalid: 'BAD_REQUEST', // 400
  unauthenticated: 'UNAUTHORIZED', // 401
  forbidden: 'FORBIDDEN', // 403
  not_found: 'NOT_FOUND', // 404
  conflict: 'CONFLICT', // 409
  too_large: 'PAYLOAD_TOO_LARGE', // 413
  unsupported: 'UNSUPPORTED_MEDIA_TYPE', // 415
  unprocessable: 'UNPROCESSABLE_CONTENT', // 422
  rate_limited: 'TOO_MANY_REQUESTS', // 429
  exhausted: 'TOO_MANY_REQUESTS', // 429 (server busy: retry later)
  unavailable: 'SERVICE_UNAVAILABLE', // 503
};

export const HTTP_STATUS_BY_CODE: Partial<Record<TRPC_ERROR_CODE_KEY, number>> = {
  BAD_REQUEST: 400,
  PARSE_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_CONTENT: 422,
  TOO_MANY_REQUESTS: 429,
  CLIENT_CLOSED_REQUEST: 499,
  INTERNAL_SERVER_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  SERVICE_UNAVAILABLE: 503,
  TIMEOUT: 408,
  PRECONDITION_FAILED: 412,
};

export const trpcCodeFor = (kind: ErrorKind): TRPC_ERROR_CODE_KEY => CODE_BY_KIND[kind];
export const httpStatusFor = (code: TRPC_ERROR_CODE_KEY): number => HTTP_STATUS_BY_CODE[code] ?? 500;

/**
 * Reasons that are gRPC status names: the call failed in transport (no service answered with its own
 * reason), so the message is grpc-js's text ("No connection established. Last error: connect
 * ECONNREFUSED 10.0.0.7:50051") and must not reach a client.
 */
const TRANSPORT_REASONS = new Set([
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'CANCELLED',
  'UNKNOWN',
  'INTERNAL',
  'ABORTED',
  'DATA_LOSS',
  'UNIMPLEMENTED',
]);
const TRANSPORT_MESSAGE = 'A service is not reachable right now. Try again in a moment.';

/** A DomainError (from a service or the BFF itself) as a TRPCError; the DomainError stays the cause. */
export function toTRPCError(error: DomainError): TRPCError {
  const message = TRANSPORT_REASONS.has(error.reason) ? TRANSPORT_MESSAGE : error.message;
  return new TRPCError({ code: trpcCodeFor(error.kind), message, cause: error });
}

/** What clients see about an error besides code and message: the service's reason and retry advice. */
export interface ErrorFacts {
  reason: string;
  retryAfterMs?: number;
  metadata?: Record<string, string>;
}

/** Reason of any error leaving a procedure: the DomainError's, or one derived from the tRPC code. */
export function errorFacts(error: TRPCError): ErrorFacts {
  const cause: unknown = error.cause;
  if (isDomainError(cause)) {
    return {
      reason: cause.reason,
      ...(cause.retryAfterMs ? { retryAfterMs: cause.retryAfterMs } : {}),
      ...(Object.keys(cause.metadata).length ? { metadata: cause.metadata } : {}),
    };
  }
  if (inputIssues(error)) return { reason: 'INVALID_INPUT' };
  if (error.code === 'INTERNAL_SERVER_ERROR') return { reason: 'INTERNAL' };
  return { reason: error.code };
}

/** Humans read this instead of "INTERNAL_SERVER_ERROR": never internals. */
export const SAFE_INTERNAL_MESSAGE = 'Something went wrong on our side. Please try again.';

interface InputIssue {
  path: PropertyKey[];
  message: string;
}

/** The input-validation issues behind a BAD_REQUEST (zod), or undefined. */
export function inputIssues(error: TRPCError): { path: string; message: string }[] | undefined {
  const cause = error.cause as { name?: string; issues?: InputIssue[] } | undefined;
  if (error.code !== 'BAD_REQUEST' || cause?.name !== 'ZodError' || !Array.isArray(cause.issues))
    return undefined;
  return cause.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/**
 * The message a client sees: never internals, and for bad input a sentence naming the fields, not
 * the validator's JSON (the structured issues travel beside it).
 */
export function publicMessage(error: TRPCError): string {
  if (error.code === 'INTERNAL_SERVER_ERROR') return SAFE_INTERNAL_MESSAGE;
  const issues = inputIssues(error);
  if (issues)
    return `Invalid input: ${issues
      .slice(0, 5)
      .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
      .join('; ')}`;
  return error.message;
}
