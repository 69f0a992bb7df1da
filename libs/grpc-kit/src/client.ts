import {
  credentials,
  Metadata,
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { REQUEST_ID_KEY } from '@guardian/logger';
import { fromServiceError } from './errors.js';
import { SERVICE_TOKEN_KEY } from './service-callers.js';

export interface CallOptionsLite {
  /** Per-call deadline; the client's default applies when absent. */
  deadlineMs?: number;
  requestId?: string;
  /** The end user's access token, forwarded as `authorization: Bearer …`. */
  accessToken?: string;
  metadata?: Metadata;
  signal?: AbortSignal;
}

type UnaryMethodOf<M> = M extends {
  (
    request: infer Req,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: infer Res) => void,
  ): ClientUnaryCall;
}
  ? (request: Req, options?: CallOptionsLite) => Promise<Res>
  : never;

/** Promise-returning methods of a ts-proto grpc-js client, with DomainErrors instead of ServiceErrors. */
export type AsyncClient<C> = {
  [K in keyof C as UnaryMethodOf<C[K]> extends never ? never : K]: UnaryMethodOf<C[K]>;
} & { close(): void };

export interface ClientOptions {
  /** Default deadline for every call (ms). */
  deadlineMs?: number;
  /**
   * Methods safe to retry (reads, idempotent writes), as names in the service definition (`getUser`).
   * They are retried on UNAVAILABLE by grpc-js's retry policy; nothing else is ever retried.
   */
  idempotent?: readonly string[];
  maxAttempts?: number;
  /** This service's credential, sent on every call (`x-guardian-service-token`; see ServiceCallers). */
  serviceToken?: string;
}

function serviceConfig(
  definition: ServiceDefinition,
  idempotent: readonly string[],
  maxAttempts: number,
): string {
  const names = idempotent.map((key) => {
    const path = definition[key]?.path;
    if (!path) throw new Error(`unknown method ${key}`);
    const [, service, method] = path.split('/');
    return { service, method };
  });
  return JSON.stringify({
    methodConfig: names.length
      ? [
          {
            name: names,
            retryPolicy: {
              maxAttempts,
              initialBackoff: '0.05s',
              maxBackoff: '1s',
              backoffMultiplier: 2,
              retryableStatusCodes: ['UNAVAILABLE'],
            },
          },
        ]
      : [],
  });
}

/**
 * A client for `address` (host:port) over an insecure channel (mesh traffic stays inside the
 * cluster network; put mTLS in the service mesh), with default deadlines and a retry policy limited
 * to the methods declared idempotent.
 */
export function createClient<C extends Client>(
  Ctor: new (address: string, creds: ReturnType<typeof credentials.createInsecure>, options: object) => C,
  definition: ServiceDefinition,
  address: string,
  options: ClientOptions = {},
): AsyncClient<C> {
  const client = new Ctor(address, credentials.createInsecure(), {
    'grpc.enable_retries': 1,
    'grpc.service_config': serviceConfig(definition, options.idempotent ?? [], options.maxAttempts ?? 3),
    'grpc.keepalive_time_ms': 30_000,
  });
  const defaultDeadline = options.deadlineMs ?? 5_000;
  const asyncClient: Record<string, unknown> = { close: () => client.close() };
  for (const [key, method] of Object.entries(definition)) {
    if (method.requestStream || method.responseStream) continue;
    const raw = (client as unknown as Record<string, Function>)[key]!.bind(client) as (
      request: unknown,
      metadata: Metadata,
      options: Partial<CallOptions>,
      callback: (error: ServiceError | null, response: unknown) => void,
    ) => ClientUnaryCall;
    asyncClient[key] = (request: unknown, call: CallOptionsLite = {}) =>
      new Promise((resolve, reject) => {
        const metadata = call.metadata?.clone() ?? new Metadata();
        if (call.requestId) metadata.set(REQUEST_ID_KEY, call.requestId);
        if (call.accessToken) metadata.set('authorization', `Bearer ${call.accessToken}`);
        if (options.serviceToken) metadata.set(SERVICE_TOKEN_KEY, options.serviceToken);
        const pending = raw(
          request,
          metadata,
          { deadline: Date.now() + (call.deadlineMs ?? defaultDeadline) },
          (error, response) => {
            call.signal?.removeEventListener('abort', cancel);
            if (error) reject(fromServiceError(error));
            else resolve(response);
          },
        );
        const cancel = () => pending.cancel();
        call.signal?.addEventListener('abort', cancel, { once: true });
      });
  }
  return asyncClient as AsyncClient<C>;
}
