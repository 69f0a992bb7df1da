import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  AccessTokenVerifier,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  CachedJwks,
  KeyRing,
} from '@guardian/auth';
import { DomainError } from '@guardian/domain';
import {
  checkHealth,
  createClient,
  errorInfoOf,
  grpcJwksSource,
  implement,
  startGrpcServer,
  type CallContext,
  type GrpcServerHandle,
} from '@guardian/grpc-kit';
import {
  AuthServiceClient,
  AuthServiceService,
  type AuthServiceServer,
  type GetJwksResponse,
} from '@guardian/proto/gen/guardian/identity/v1/auth';
import { testLogger } from '@guardian/testkit';
import { loadSync } from '@grpc/proto-loader';
import { loadPackageDefinition as grpcLoad } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const logger = testLogger();

/** What the test handler should do next (each test sets it). */
let behaviour: (ctx: CallContext) => Promise<GetJwksResponse>;

/** One method of a real contract is enough to exercise the kit. */
const definition = { getJwks: AuthServiceService.getJwks };
type JwksOnly = Pick<AuthServiceServer, 'getJwks'>;

describe('grpc-kit', () => {
  let server: GrpcServerHandle;
  let keys: KeyRing;
  let address: string;

  beforeAll(async () => {
    keys = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
    const verifier = new AccessTokenVerifier(new CachedJwks(async () => keys.publicJwks()));
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      logger,
      protoFiles: ['guardian/identity/v1/auth.proto'],
      services: [
        {
          name: 'guardian.identity.v1.AuthService',
          definition,
          implementation: implement<JwksOnly>(
            definition,
            { getJwks: (_request, ctx) => behaviour(ctx) },
            { logger, verifier },
          ),
        },
      ],
    });
    address = `127.0.0.1:${server.port}`;
  });
  afterAll(() => server.shutdown(1_000));

  describe('health', () => {
    const check = (service: string) => checkHealth(address, service);

    it('reports NOT_SERVING until the app says it is ready, then SERVING', async () => {
      expect(await check('')).toBe('NOT_SERVING');
      server.setServing(true);
      expect(await check('')).toBe('SERVING');
      expect(await check('guardian.identity.v1.AuthService')).toBe('SERVING');
    });
  });

  describe('reflection', () => {
    it('lists the registered services', async () => {
      const def = grpcLoad(
        loadSync('grpc/reflection/v1/reflection.proto', {
          keepCase: true,
          enums: String,
          includeDirs: [
            new URL('../../../node_modules/@grpc/reflection/build/proto', import.meta.url).pathname,
          ],
        }),
      ) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      const client = new def.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
      const names = await new Promise<string[]>((resolve, reject) => {
        const call = client.ServerReflectionInfo();
        call.on('data', (response: { list_services_response?: { service: { name: string }[] } }) => {
          resolve(response.list_services_response?.service.map((s) => s.name) ?? []);
          call.end();
        });
        call.on('error', reject);
        call.write({ list_services: '' });
      });
      expect([...names].sort()).toEqual(['grpc.health.v1.Health', 'guardian.identity.v1.AuthService']);
    });
  });

  describe('implement + createClient', () => {
    const client = () => createClient(AuthServiceClient, definition, address, { idempotent: ['getJwks'] });

    it('returns the handler result through the async client', async () => {
      behaviour = async () => ({
        jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1', alg: 'EdDSA', use: 'sig' }] },
      });
      const response = await client().getJwks({});
      expect(response.jwks?.keys[0]?.kid).toBe('k1');
    });

    it('turns GetJwks answers into a JWKS source, dropping the empty strings proto3 leaves', async () => {
      behaviour = async () => ({
        jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1', alg: 'EdDSA', use: '' }] },
      });
      const source = grpcJwksSource(() => client().getJwks({}));
      expect(await source()).toEqual({
        keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1', alg: 'EdDSA' }],
      });
    });

    it('maps a DomainError to its gRPC status with ErrorInfo (reason, retry) and back to a DomainError', async () => {
      behaviour = async () => {
        throw new DomainError('rate_limited', 'ACCOUNT_LOCKED', 'too many attempts', {
          retryAfterMs: 30_000,
          metadata: { attempts: '5' },
        });
      };
      const raw = new AuthServiceClient(address, credentials.createInsecure());
      const error = await new Promise<ServiceError>((resolve) => raw.getJwks({}, (e) => resolve(e!)));
      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(errorInfoOf(error)).toMatchObject({
        reason: 'ACCOUNT_LOCKED',
        domain: 'guardian',
        retryAfterMs: 30_000,
      });
      expect(error.metadata.get('x-error-reason')).toEqual(['ACCOUNT_LOCKED']);

      const mapped = await client()
        .getJwks({})
        .catch((e: unknown) => e);
      expect(mapped).toBeInstanceOf(DomainError);
      expect(mapped).toMatchObject({
        kind: 'rate_limited',
        reason: 'ACCOUNT_LOCKED',
        retryAfterMs: 30_000,
        metadata: { attempts: '5' },
      });
    });

    it('answers bytes that are no message of the method with INVALID_ARGUMENT MALFORMED_REQUEST, not INTERNAL (found by test/fuzz.test.ts)', async () => {
      const { Client } = await import('@grpc/grpc-js');
      const raw = new Client(address, credentials.createInsecure());
      behaviour = async () => ({ jwks: { keys: [] } });
      const error = await new Promise<ServiceError | null>((resolve) =>
        raw.makeUnaryRequest(
          AuthServiceService.getJwks.path,
          (b: Buffer) => b,
          (b: Buffer) => b,
          // A field tag with wire type 7 (no such type) and a truncated varint.
          Buffer.from([0xff, 0xff, 0xff, 0xff]),
          new Metadata(),
          (e) => resolve(e),
        ),
      );
      raw.close();
      expect(error?.code).toBe(status.INVALID_ARGUMENT);
      expect(errorInfoOf(error!)?.reason).toBe('MALFORMED_REQUEST');
      expect(error?.details).not.toMatch(/deserializ|index out of range|invalid wire type/i);
    });

    it('answers UNAVAILABLE DATABASE_UNAVAILABLE (retryable), not INTERNAL, while the database cannot be reached (found by npm run chaos)', async () => {
      for (const error of [
        Object.assign(new Error('connection refused'), { name: 'MongoServerSelectionError' }),
        Object.assign(new Error('Operation `users.findOne()` buffering timed out after 10000ms'), {
          name: 'MongooseError',
        }),
        new Error('wrapped', { cause: Object.assign(new Error('reset'), { name: 'MongoNetworkError' }) }),
        // The driver's shape when a bulk insert is cut short by a dropped connection: the network
        // error is the bulk error's errorResponse, not its cause (chaos mongo-restart at scale 1).
        Object.assign(new Error('Connection pool was cleared because another operation failed'), {
          name: 'MongoBulkWriteError',
          writeErrors: [],
          errorResponse: Object.assign(new Error('Connection pool was cleared: connection 1 closed'), {
            name: 'MongoPoolClearedError',
          }),
        }),
      ]) {
        behaviour = async () => {
          throw error;
        };
        const c = client();
        const refused = await c.getJwks({}).then(
          () => undefined,
          (e: unknown) => e as DomainError,
        );
        c.close();
        expect(refused, error.message).toMatchObject({ kind: 'unavailable', reason: 'DATABASE_UNAVAILABLE' });
        expect(refused?.message).not.toMatch(/refused|buffering|reset|pool/i);
      }
    });

    it('answers INTERNAL without internals for unexpected errors', async () => {
      behaviour = async () => {
        throw new Error('secret database password in a stack trace');
      };
      const mapped = (await client()
        .getJwks({})
        .catch((e: unknown) => e)) as DomainError;
      expect(mapped.reason).toBe('INTERNAL');
      expect(mapped.message).toBe('internal error');
    });

    it('propagates the request id and verifies the Bearer token against the JWKS', async () => {
      let seen: { requestId: string; userId?: string; role?: string } | undefined;
      behaviour = async (ctx) => {
        const claims = await ctx.auth();
        seen = { requestId: ctx.requestId, userId: claims.userId, role: claims.role };
        return {};
      };
      const token = await keys.sign(
        { sid: 's1', role: 'admin' },
        { issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE, subject: 'u1', expiresInSec: 60 },
      );
      await client().getJwks({}, { accessToken: token, requestId: 'req-42' });
      expect(seen).toEqual({ requestId: 'req-42', userId: 'u1', role: 'admin' });
    });

    it('rejects a missing, forged or expired token as UNAUTHENTICATED', async () => {
      behaviour = async (ctx) => {
        await ctx.auth();
        return {};
      };
      const other = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
      const forged = await other.sign(
        { sid: 's', role: 'master' },
        { issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE, subject: 'u', expiresInSec: 60 },
      );
      const expired = await keys.sign(
        { sid: 's', role: 'user', exp: Math.floor(Date.now() / 1000) - 60 },
        { issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE, subject: 'u', expiresInSec: -60 },
      );
      const reasons = await Promise.all(
        [undefined, forged, expired, 'not-a-jwt'].map((token) =>
          client()
            .getJwks({}, token ? { accessToken: token } : {})
            .then(
              () => 'OK',
              (e: DomainError) => `${e.kind}:${e.reason}`,
            ),
        ),
      );
      expect(reasons).toEqual([
        'unauthenticated:MISSING_TOKEN',
        'unauthenticated:INVALID_TOKEN',
        'unauthenticated:TOKEN_EXPIRED',
        'unauthenticated:INVALID_TOKEN',
      ]);
    });

    it('cancels the handler signal when the client deadline passes', async () => {
      let aborted: Promise<string> | undefined;
      behaviour = (ctx) => {
        aborted = new Promise((resolve) =>
          ctx.signal.addEventListener('abort', () => resolve((ctx.signal.reason as DomainError).reason)),
        );
        return new Promise(() => undefined);
      };
      const error = (await client()
        .getJwks({}, { deadlineMs: 200 })
        .catch((e: unknown) => e)) as DomainError;
      expect(error.reason).toBe('DEADLINE_EXCEEDED');
      expect(await aborted).toMatch(/DEADLINE_EXCEEDED|CANCELLED/);
    });
  });

  it('metadata helper: a Bearer header parses, anything else does not', async () => {
    const { bearerToken } = await import('@guardian/grpc-kit');
    const md = new Metadata();
    md.set('authorization', 'Bearer abc.def.ghi');
    expect(bearerToken(md)).toBe('abc.def.ghi');
    md.set('authorization', 'Basic xyz');
    expect(bearerToken(md)).toBeUndefined();
  });
});
