/**
 * The REST contract: every procedure of the router has a REST operation or says why not, and the
 * OpenAPI document describes exactly those operations (walking the router, not a list).
 */
import { describe, expect, it } from 'vitest';
import { PROCEDURE_DEFS } from '../router/root.js';
import { openApiDocument, REST_ROUTES } from './rest.js';

const procedures = [...PROCEDURE_DEFS].map(([name, def]) => [name, { _def: def }] as const);

describe('REST contract', () => {
  it('gives every procedure a REST operation or a stated reason, never both', () => {
    const missing = procedures.filter(([, p]) => !p._def.meta?.rest && !p._def.meta?.noRest?.trim());
    expect(missing.map(([name]) => name)).toEqual([]);
    const both = procedures.filter(([, p]) => p._def.meta?.rest && p._def.meta?.noRest);
    expect(both.map(([name]) => name)).toEqual([]);
    // Subscriptions stream over SSE: they have no REST operation.
    for (const [name, p] of procedures)
      if (p._def.type === 'subscription') expect(p._def.meta?.rest, name).toBeUndefined();
  });

  it('covers the admin operations the systems Guardian replaces managed with curl', () => {
    const operations = REST_ROUTES.map((r) => `${r.method} ${r.path}`);
    for (const expected of [
      'GET /api/admin/users',
      'GET /api/admin/users/:userId',
      'POST /api/admin/users',
      'PATCH /api/admin/users/:userId',
      'PUT /api/admin/users/:userId/role',
      'DELETE /api/admin/users/:userId',
      'POST /api/admin/users/:userId/unlock',
      'DELETE /api/admin/users/:userId/sessions/:sessionId',
      'GET /api/admin/login-attempts',
      'GET /api/admin/documents/pending',
      'POST /api/admin/documents/:documentId/review',
      'GET /api/admin/verification/verified',
      'GET /api/admin/verification/pending',
    ])
      expect(operations).toContain(expected);
  });

  it('has one operation per method and path, path parameters that are input fields, and all in the OpenAPI document', () => {
    const keys = REST_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    const doc = openApiDocument();
    for (const route of REST_ROUTES) {
      const oaPath = route.path.replace(/:(\w+)/g, '{$1}');
      const operation = (doc.paths[oaPath] as Record<string, { operationId: string }> | undefined)?.[
        route.method.toLowerCase()
      ];
      expect(operation?.operationId, `${route.method} ${route.path}`).toBe(route.operationId);
    }
    // The mirror's operations, and besides them only the compatibility profiles' (own tags).
    const documented = Object.entries(doc.paths)
      .filter(([path]) => !path.startsWith('/compat/'))
      .flatMap(([, methods]) => Object.keys(methods));
    expect(documented).toHaveLength(REST_ROUTES.length);
    const compat = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/compat/'))
      .flatMap(([, methods]) => Object.values(methods) as Array<{ tags: string[] }>);
    expect(compat.length).toBeGreaterThan(0);
    for (const operation of compat) expect(operation.tags[0]).toMatch(/^compat: /);
  });
});
