import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { DomainError, type ErrorKind } from '@guardian/domain';
import { ErrorInfo, Status } from '@guardian/proto/gen/guardian/common/v1/errors';

export const ERROR_DETAILS_KEY = 'grpc-status-details-bin';
export const ERROR_INFO_TYPE_URL = 'type.googleapis.com/guardian.common.v1.ErrorInfo';
/** A plain-text copy of the reason for humans and tools that don't decode details. */
export const REASON_KEY = 'x-error-reason';

const CODE_BY_KIND: Record<ErrorKind, status> = {
  invalid: status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  forbidden: status.PERMISSION_DENIED,
  not_found: status.NOT_FOUND,
  conflict: status.ALREADY_EXISTS,
  too_large: status.OUT_OF_RANGE,
  unsupported: status.INVALID_ARGUMENT,
  unprocessable: status.FAILED_PRECONDITION,
  rate_limited: status.RESOURCE_EXHAUSTED,
  exhausted: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
};

export const grpcCodeFor = (kind: ErrorKind): status => CODE_BY_KIND[kind];

/** The `ServiceError`-shaped object grpc-js sends: code, message, and ErrorInfo in the trailers. */
export function toServiceError(error: DomainError): Partial<ServiceError> {
  const code = grpcCodeFor(error.kind);
  const info = ErrorInfo.encode({
    reason: error.reason,
    domain: 'guardian',
    metadata: { ...error.metadata, kind: error.kind },
    retryAfterMs: error.retryAfterMs ?? 0,
  }).finish();
  const details = Status.encode({
    code,
    message: error.message,
    details: [{ typeUrl: ERROR_INFO_TYPE_URL, value: Buffer.from(info) }],
  }).finish();
  const metadata = new Metadata();
  metadata.set(ERROR_DETAILS_KEY, Buffer.from(details));
  metadata.set(REASON_KEY, error.reason);
  return { code, details: error.message, message: error.message, metadata };
}

export function internalError(): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set(REASON_KEY, 'INTERNAL');
  return { code: status.INTERNAL, details: 'internal error', message: 'internal error', metadata };
}

const KIND_BY_CODE: Partial<Record<status, ErrorKind>> = {
  [status.INVALID_ARGUMENT]: 'invalid',
  [status.UNAUTHENTICATED]: 'unauthenticated',
  [status.PERMISSION_DENIED]: 'forbidden',
  [status.NOT_FOUND]: 'not_found',
  [status.ALREADY_EXISTS]: 'conflict',
  [status.OUT_OF_RANGE]: 'too_large',
  [status.FAILED_PRECONDITION]: 'unprocessable',
  [status.RESOURCE_EXHAUSTED]: 'rate_limited',
  [status.UNAVAILABLE]: 'unavailable',
  [status.DEADLINE_EXCEEDED]: 'unavailable',
};

const ERROR_KINDS = new Set<string>(Object.keys(CODE_BY_KIND));

/** Decodes the ErrorInfo a Guardian server put in the trailers, if any. */
export function errorInfoOf(error: Pick<ServiceError, 'metadata'>): ErrorInfo | undefined {
  const raw = error.metadata?.get(ERROR_DETAILS_KEY)[0];
  if (!Buffer.isBuffer(raw)) return undefined;
  try {
    const decoded = Status.decode(raw);
    const any = decoded.details.find((detail) => detail.typeUrl === ERROR_INFO_TYPE_URL);
    return any ? ErrorInfo.decode(any.value) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns a failed call back into a DomainError with the callee's reason code and kind, so a caller
 * (the BFF, another service) can pass it on unchanged. Errors without Guardian details keep the
 * gRPC code as a reason (`UNAVAILABLE`, `DEADLINE_EXCEEDED`, ...).
 */
export function fromServiceError(error: ServiceError): DomainError {
  const info = errorInfoOf(error);
  const declaredKind = info?.metadata.kind;
  const kind: ErrorKind =
    declaredKind && ERROR_KINDS.has(declaredKind)
      ? (declaredKind as ErrorKind)
      : (KIND_BY_CODE[error.code] ?? 'unavailable');
  const { kind: _kind, ...metadata } = info?.metadata ?? {};
  return new DomainError(
    kind,
    info?.reason || status[error.code] || 'UNKNOWN',
    error.details || error.message,
    {
      retryAfterMs: info?.retryAfterMs || undefined,
      metadata,
      cause: error,
    },
  );
}

export const isServiceError = (error: unknown): error is ServiceError =>
  error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && 'metadata' in error;
