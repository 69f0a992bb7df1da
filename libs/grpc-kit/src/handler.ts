import type {
  handleUnaryCall,
  Metadata,
  sendUnaryData,
  ServerUnaryCall,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { AccessClaims, TokenVerifier } from '@guardian/auth';
import { DomainError, isDomainError } from '@guardian/domain';
import { REQUEST_ID_KEY, requestIdFrom, type Logger } from '@guardian/logger';
import type { Histogram } from 'prom-client';
import { internalError, toServiceError } from './errors.js';

export interface CallContext {
  readonly method: string;
  readonly requestId: string;
  readonly logger: Logger;
  readonly metadata: Metadata;
  /** Aborted when the caller cancels or its deadline passes: stop work that nobody will read. */
  readonly signal: AbortSignal;
  readonly deadline: Date | undefined;
  readonly peer: string;
  /** The verified access-token claims of the end user, or UNAUTHENTICATED. */
  auth(): Promise<AccessClaims>;
  /** Like auth(), but undefined when no token was sent (a bad token still fails). */
  optionalAuth(): Promise<AccessClaims | undefined>;
}

/** The async form of a ts-proto `XServiceServer` interface: `(request, ctx) => Promise<response>`. */
export type AsyncService<S> = {
  [
    K in keyof S as S[K] extends handleUnaryCall<infer _Req, infer _Res> ? K : never
  ]: S[K] extends handleUnaryCall<infer Req, infer Res>
    ? (request: Req, ctx: CallContext) => Promise<Res>
    : never;
};

export interface HandlerDeps {
  logger: Logger;
  verifier?: TokenVerifier;
  durations?: Histogram<'method' | 'code'>;
}

export function bearerToken(metadata: Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match?.[1];
}

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): Date | undefined {
  const deadline = call.getDeadline();
  if (deadline instanceof Date) return Number.isFinite(deadline.getTime()) ? deadline : undefined;
  return Number.isFinite(deadline) ? new Date(deadline) : undefined;
}

/**
 * Wraps async handlers into grpc-js's callback form: a request id (from `x-request-id` or new) and a
 * child logger per call, an AbortSignal tied to cancellation and the deadline, lazy token checks,
 * DomainError -> status + ErrorInfo, anything else -> INTERNAL without internals (logged here).
 */
/**
 * The MongoDB driver's and mongoose's errors for a database that cannot be reached (by name: this
 * kit does not depend on the driver), the error itself or what it wraps: its cause, or the
 * `errorResponse` of a bulk write cut short (MongoBulkWriteError over a pool cleared by a dropped
 * connection, as InsertBatcher passes it on when it cannot tell what was written).
 */
const UNREACHABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
]);
export function databaseUnreachable(error: unknown): boolean {
  for (
    let e = error as
        { name?: string; message?: string; cause?: unknown; errorResponse?: unknown } | undefined,
      depth = 0;
    e && typeof e === 'object' && depth < 3;
    depth++
  ) {
    if (e.name && UNREACHABLE.has(e.name)) return true;
    // mongoose queues operations while disconnected and gives up after bufferTimeoutMS.
    if (e.name === 'MongooseError' && /buffering timed out/.test(e.message ?? '')) return true;
    e = (e.cause ?? e.errorResponse) as typeof e;
  }
  return false;
}

/** What a tolerant deserializer hands the handler for bytes that are no message of the method. */
const MALFORMED = Symbol('malformed request');
const isMalformed = (request: unknown) =>
  typeof request === 'object' && request !== null && MALFORMED in request;

/**
 * The definition with request deserializers that never throw: grpc-js answers a throwing one with
 * INTERNAL ("Error deserializing request: …", the decoder's words), which is the client's mistake
 * told as ours. Bytes that do not decode reach the handler as a marker, answered INVALID_ARGUMENT
 * with reason MALFORMED_REQUEST.
 */
export function tolerantDefinition(definition: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => [
      name,
      {
        ...method,
        requestDeserialize: (bytes: Buffer) => {
          try {
            return method.requestDeserialize(bytes);
          } catch {
            return { [MALFORMED]: true };
          }
        },
      },
    ]),
  ) as ServiceDefinition;
}

export function implement<S>(
  definition: ServiceDefinition,
  handlers: AsyncService<S>,
  deps: HandlerDeps,
): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  const table = handlers as Record<string, (request: unknown, ctx: CallContext) => Promise<unknown>>;
  for (const [name, method] of Object.entries(definition)) {
    const handler = table[name];
    if (!handler) throw new Error(`no handler for ${method.path}`);
    if (method.requestStream || method.responseStream)
      throw new Error(`${method.path}: only unary calls are wrapped`);
    implementation[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      void runUnary(method.path, handler, call, callback, deps);
    };
  }
  return implementation;
}

async function runUnary(
  path: string,
  handler: (request: unknown, ctx: CallContext) => Promise<unknown>,
  call: ServerUnaryCall<unknown, unknown>,
  callback: sendUnaryData<unknown>,
  deps: HandlerDeps,
): Promise<void> {
  const started = performance.now();
  const requestId = requestIdFrom(call.metadata.get(REQUEST_ID_KEY)[0]);
  const logger = deps.logger.child({ requestId, method: path });
  const controller = new AbortController();
  const deadline = deadlineOf(call);
  const onCancel = () =>
    controller.abort(new DomainError('unavailable', 'CANCELLED', 'the caller went away'));
  call.on('cancelled', onCancel);
  const timer =
    deadline === undefined
      ? undefined
      : setTimeout(
          () => controller.abort(new DomainError('unavailable', 'DEADLINE_EXCEEDED', 'deadline exceeded')),
          Math.max(0, deadline.getTime() - Date.now()),
        );

  let claims: Promise<AccessClaims | undefined> | undefined;
  const optionalAuth = () => {
    claims ??= (async () => {
      const token = bearerToken(call.metadata);
      if (token === undefined) return undefined;
      if (!deps.verifier)
        throw new DomainError('unauthenticated', 'AUTH_NOT_CONFIGURED', 'this service takes no tokens');
      return deps.verifier.verify(token);
    })();
    return claims;
  };
  const ctx: CallContext = {
    method: path,
    requestId,
    logger,
    metadata: call.metadata,
    signal: controller.signal,
    deadline,
    peer: call.getPeer(),
    optionalAuth,
    auth: async () => {
      const result = await optionalAuth();
      if (!result) throw new DomainError('unauthenticated', 'MISSING_TOKEN', 'an access token is required');
      return result;
    },
  };

  let code: status = status.OK;
  try {
    if (isMalformed(call.request))
      throw new DomainError(
        'invalid',
        'MALFORMED_REQUEST',
        'the request is not a valid message of this method',
      );
    const response = await handler(call.request, ctx);
    callback(null, response);
  } catch (error) {
    if (isDomainError(error)) {
      const serviceError = toServiceError(error);
      code = serviceError.code ?? status.UNKNOWN;
      logger.info({ reason: error.reason, code: status[code] }, 'call rejected');
      callback(serviceError);
    } else if (databaseUnreachable(error)) {
      // The database is away for a moment (a restart, a failover): the caller should try again.
      const serviceError = toServiceError(
        new DomainError(
          'unavailable',
          'DATABASE_UNAVAILABLE',
          'the service cannot reach its database; try again',
          {
            retryAfterMs: 1_000,
          },
        ),
      );
      code = serviceError.code ?? status.UNAVAILABLE;
      logger.warn({ err: error }, 'call failed: database unreachable');
      callback(serviceError);
    } else {
      code = status.INTERNAL;
      logger.error({ err: error }, 'call failed');
      callback(internalError());
    }
  } finally {
    if (timer) clearTimeout(timer);
    call.off('cancelled', onCancel);
    deps.durations?.observe({ method: path, code: status[code] }, (performance.now() - started) / 1000);
  }
}
