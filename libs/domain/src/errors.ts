/**
 * The one error family services throw. Only the edges translate it: the gRPC kit into a status code
 * with an ErrorInfo detail, the BFF into an HTTP status. `reason` is the stable machine-readable code
 * clients branch on (NO_FACE, USERNAME_TAKEN, ACCOUNT_LOCKED, ...).
 */
export type ErrorKind =
  | 'invalid' // malformed or out-of-range input                    -> INVALID_ARGUMENT / 400
  | 'unauthenticated' // missing/bad credentials or token           -> UNAUTHENTICATED / 401
  | 'forbidden' // authenticated but not allowed                    -> PERMISSION_DENIED / 403
  | 'not_found' //                                                  -> NOT_FOUND / 404
  | 'conflict' // unique constraint, state conflict                 -> ALREADY_EXISTS / 409
  | 'too_large' // payload over the byte limit                      -> OUT_OF_RANGE / 413
  | 'unsupported' // unsupported media type                         -> INVALID_ARGUMENT / 415
  | 'unprocessable' // well-formed but cannot be processed (NO_FACE) -> FAILED_PRECONDITION / 422
  | 'rate_limited' // locks and throttles                           -> RESOURCE_EXHAUSTED / 429
  | 'exhausted' // server capacity (full inference queue)            -> RESOURCE_EXHAUSTED / 429 (503 semantics)
  | 'unavailable'; // a dependency is down                           -> UNAVAILABLE / 503

export interface DomainErrorOptions {
  /** When a retry may succeed, in milliseconds (locks, rate limits, full queues). */
  retryAfterMs?: number;
  /** Extra machine-readable facts for the client (e.g. { rule: 'common_password' }). Never secrets. */
  metadata?: Record<string, string>;
  cause?: unknown;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly retryAfterMs: number | undefined;
  readonly metadata: Record<string, string>;

  constructor(
    readonly kind: ErrorKind,
    readonly reason: string,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
    this.metadata = options.metadata ?? {};
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;

/** Shorthands for the most common kinds; the reason code stays explicit at every call site. */
export const invalid = (reason: string, message: string, metadata?: Record<string, string>) =>
  new DomainError('invalid', reason, message, { metadata });
export const notFound = (reason: string, message: string) => new DomainError('not_found', reason, message);
export const forbidden = (reason: string, message: string) => new DomainError('forbidden', reason, message);
export const conflict = (reason: string, message: string) => new DomainError('conflict', reason, message);
export const unauthenticated = (reason: string, message: string) =>
  new DomainError('unauthenticated', reason, message);
