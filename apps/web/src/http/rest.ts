import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPCError } from '@trpc/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { compatOpenApiPaths } from '../compat/kit.js';
import { COMPAT_PROFILES } from '../compat/index.js';
import { readMultipart } from './multipart.js';
import { errorFacts, inputIssues, publicMessage } from '../router/errors.js';
import { createCaller, PROCEDURE_DEFS } from '../router/root.js';
import type { RestOperation } from '../router/rest-meta.js';
import type { Context } from '../router/trpc.js';

type Raw = Record<string, unknown>;

/** One REST operation: a path over a tRPC procedure (same validation, same errors). */
export interface RestRoute extends RestOperation {
  procedure: string;
  tag: string;
  auth: boolean;
  operationId: string;
}

/**
 * The REST mirror, from the procedures' own declarations (`.meta({ rest })`, router/rest-meta.ts):
 * walking the router, so a procedure and its REST operation cannot drift apart.
 */
export const REST_ROUTES: RestRoute[] = [...PROCEDURE_DEFS].flatMap(([procedure, def]) => {
  const declared = def.meta?.rest;
  const operations = declared ? (Array.isArray(declared) ? declared : [declared]) : [];
  return operations.map((operation, i) => ({
    ...operation,
    procedure,
    tag: operation.tag ?? procedure.split('.')[0]!,
    auth: !operation.public,
    operationId: procedure.replaceAll('.', '_') + (i === 0 ? '' : `_${operation.method.toLowerCase()}`),
  }));
});

type Procedure = (input?: unknown) => Promise<unknown>;

function procedureOf(caller: unknown, path: string): Procedure {
  let node: unknown = caller;
  for (const key of path.split('.')) node = (node as Record<string, unknown>)[key];
  return node as Procedure;
}

export function restError(reply: FastifyReply, error: unknown, log: FastifyRequest['log']) {
  const trpcError =
    error instanceof TRPCError
      ? error
      : (error as { statusCode?: number }).statusCode && (error as { statusCode: number }).statusCode < 500
        ? new TRPCError({ code: 'BAD_REQUEST', message: (error as Error).message })
        : new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: error });
  const status = getHTTPStatusCodeFromError(trpcError);
  const facts = errorFacts(trpcError);
  if (status >= 500 && trpcError.code === 'INTERNAL_SERVER_ERROR')
    log.error({ err: error }, 'REST operation failed');
  if (facts.retryAfterMs) reply.header('retry-after', String(Math.ceil(facts.retryAfterMs / 1000)));
  const issues = inputIssues(trpcError);
  return reply.code(status).send({
    error: {
      status,
      code: trpcError.code,
      reason: facts.reason,
      message: publicMessage(trpcError),
      ...(facts.retryAfterMs ? { retryAfterMs: facts.retryAfterMs } : {}),
      ...(facts.metadata ? { metadata: facts.metadata } : {}),
      ...(issues ? { issues } : {}),
    },
  });
}

/** Registers the REST mirror (in its own scope: multipart parsing here does not touch /trpc). */
export async function registerRest(
  app: FastifyInstance,
  options: {
    createContext: (request: FastifyRequest, reply: FastifyReply) => Context;
    maxFileBytes: number;
    /** Verifies a token carried in a multipart body (`tokenField`); throws when it is not valid. */
    verifyBodyToken: (token: string) => Promise<unknown>;
  },
) {
  await app.register(async (scope) => {
    await scope.register((await import('@fastify/multipart')).default, {
      limits: { fileSize: options.maxFileBytes, files: 5, fields: 20, parts: 30, fieldSize: 64 * 1024 },
    });
    const queryTypes = new Map(REST_ROUTES.map((route) => [route, inputPropertyTypes(route.procedure)]));
    for (const route of REST_ROUTES) {
      scope.route({
        method: route.method,
        url: route.path,
        // The edge (server.ts) limits and checks by this, whatever the raw URL looked like.
        config: { procedure: route.procedure },
        handler: async (request, reply) => {
          try {
            let raw: Raw = {};
            if (request.isMultipart()) {
              if (!route.files)
                throw new TRPCError({
                  code: 'UNSUPPORTED_MEDIA_TYPE',
                  message: 'This operation takes JSON.',
                });
              // Credentials first: nobody gets megabytes of photos buffered without them.
              if (route.auth) await requireCaller(options.createContext(request, reply));
              raw = await readMultipart(
                request,
                route.files,
                route.tokenField
                  ? (fields) => requireBodyToken(fields[route.tokenField!], options.verifyBodyToken)
                  : undefined,
              );
            } else if (request.body && typeof request.body === 'object') {
              raw = { ...(request.body as Raw) };
            }
            if (route.method === 'GET' || route.method === 'DELETE')
              raw = { ...coerceQuery(request.query as Raw, queryTypes.get(route)), ...raw };
            raw = { ...raw, ...(request.params as Raw) };
            const input = route.adapt ? route.adapt(raw) : raw;
            const caller = createCaller(options.createContext(request, reply));
            const output = await procedureOf(
              caller,
              route.procedure,
              // An empty body is `{}` for a procedure with an input (its fields may all have defaults).
            )(inputSchema(route.procedure) || Object.keys(input).length ? input : undefined);
            return reply.code(route.status ?? 200).send(output);
          } catch (error) {
            return restError(reply, error, request.log);
          }
        },
      });
    }
  });
}

const unauthorized = (message: string, cause?: unknown) =>
  new TRPCError({ code: 'UNAUTHORIZED', message, ...(cause ? { cause } : {}) });

/** The caller's access token, verified (signature and live session) before a body is read. */
async function requireCaller(ctx: Context): Promise<void> {
  if (!ctx.accessToken) throw unauthorized('Please sign in first (no access token was sent).');
  try {
    await ctx.verifier.verify(ctx.accessToken);
  } catch (error) {
    throw unauthorized('Your session has expired or is not valid. Please sign in again.', error);
  }
}

async function requireBodyToken(token: unknown, verify: (token: string) => Promise<unknown>): Promise<void> {
  if (typeof token !== 'string' || !token)
    throw unauthorized('Send the enrollmentToken field before the photos.');
  try {
    await verify(token);
  } catch (error) {
    throw unauthorized('The enrollment token is not valid.', error);
  }
}

type PropertyType = { type?: string; items?: PropertyType };

/** The JSON-schema type of each top-level input field of a procedure (for query strings). */
function inputPropertyTypes(procedure: string): Record<string, PropertyType> {
  const schema = inputSchema(procedure);
  if (!schema) return {};
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, PropertyType>;
    anyOf?: { properties?: Record<string, PropertyType> }[];
  };
  return json.properties ?? json.anyOf?.find((branch) => branch.properties)?.properties ?? {};
}

/**
 * Query parameters arrive as strings (or arrays when repeated): each becomes its field's type
 * (numbers, booleans, arrays of them) before the procedure validates it; what does not convert
 * is left for validation to refuse with its reason.
 */
function coerceQuery(query: Raw, types: Record<string, PropertyType> = {}): Raw {
  const convert = (value: unknown, type: PropertyType | undefined): unknown => {
    if (type?.type === 'array')
      return (Array.isArray(value) ? value : [value]).map((v) => convert(v, type.items));
    if (typeof value !== 'string') return value;
    if (
      (type?.type === 'integer' || type?.type === 'number') &&
      value.trim() !== '' &&
      Number.isFinite(Number(value))
    )
      return Number(value);
    if (type?.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
    return value;
  };
  return Object.fromEntries(Object.entries(query).map(([key, value]) => [key, convert(value, types[key])]));
}

/** The input schema of a procedure, as declared with `.input()`. */
function inputSchema(path: string): z.ZodType | undefined {
  return PROCEDURE_DEFS.get(path)?.inputs[0] as z.ZodType | undefined;
}

const binary = { type: 'string', format: 'binary' };

/** The OpenAPI 3.1 document of the REST mirror, generated from the procedures' zod schemas. */
export function openApiDocument(options: { serverUrl?: string } = {}) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of REST_ROUTES) {
    const oaPath = route.path.replace(/:(\w+)/g, '{$1}');
    const schema = inputSchema(route.procedure);
    const params = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    let jsonSchema: Record<string, unknown> | undefined;
    if (schema) {
      jsonSchema = z.toJSONSchema(schema, {
        io: 'input',
        unrepresentable: 'any',
        target: 'draft-2020-12',
      }) as Record<string, unknown>;
      delete jsonSchema.$schema;
    }
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      ...(route.auth ? { security: [{ bearer: [] }] } : { security: [] }),
      parameters: params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      responses: {
        [String(route.status ?? 200)]: {
          description: 'OK',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
        default: {
          description: 'Error (reason codes in error.reason)',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
    if (route.method === 'GET' || route.method === 'DELETE') {
      const properties = (jsonSchema?.properties ?? {}) as Record<string, unknown>;
      (operation.parameters as unknown[]).push(
        ...Object.entries(properties)
          .filter(([name]) => !params.includes(name))
          .map(([name, property]) => ({ name, in: 'query', required: false, schema: property })),
      );
    } else if (jsonSchema) {
      const content: Record<string, unknown> = { 'application/json': { schema: jsonSchema } };
      if (route.files) {
        const properties: Record<string, unknown> = {};
        for (const [field, target] of Object.entries(route.files))
          properties[field] = target.endsWith('[]') ? { type: 'array', items: binary } : binary;
        for (const [name, property] of Object.entries(
          (jsonSchema.properties ?? {}) as Record<string, unknown>,
        )) {
          if (!Object.values(route.files).some((t) => t.replace('[]', '') === name))
            properties[name] = property;
        }
        content['multipart/form-data'] = { schema: { type: 'object', properties } };
      }
      operation.requestBody = { required: true, content };
    }
    (paths[oaPath] ??= {})[route.method.toLowerCase()] = operation;
  }
  const compat = compatOpenApiPaths(COMPAT_PROFILES);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Guardian API',
      version: '1.0.0',
      description:
        'REST mirror of the tRPC procedures (/trpc), public and admin, generated from their declarations. Authenticate with `Authorization: Bearer <accessToken>` from /api/auth/login. Errors: `{"error":{"status","code","reason","message"}}` with the services\' reason codes; 429 answers carry Retry-After.',
    },
    servers: [{ url: options.serverUrl ?? '/' }],
    paths: { ...paths, ...compat.paths },
    tags: compat.tags,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: {
                status: { type: 'integer' },
                code: { type: 'string' },
                reason: { type: 'string', example: 'INVALID_CREDENTIALS' },
                message: { type: 'string' },
                retryAfterMs: { type: 'integer' },
              },
              required: ['status', 'code', 'reason', 'message'],
            },
          },
        },
      },
    },
  };
}
