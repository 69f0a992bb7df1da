import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);

/**
 * The interactive API docs at /api/docs: Swagger UI from the `swagger-ui-dist` package, served by
 * this server (no CDN), started by a script file rather than an inline one so the strict CSP holds.
 * It renders /api/openapi.json and sends requests from the browser ("Authorize" takes a Bearer token).
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Guardian API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: false,
  persistAuthorization: false,
});`;

export function registerDocs(app: FastifyInstance): void {
  const asset = (file: string) => readFileSync(require.resolve(`swagger-ui-dist/${file}`));
  const css = asset('swagger-ui.css');
  const bundle = asset('swagger-ui-bundle.js');
  app.get('/api/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get('/api/docs/swagger-ui.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=86400').send(css),
  );
  app.get('/api/docs/swagger-ui-bundle.js', async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(bundle),
  );
  app.get('/api/docs/init.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(INIT),
  );
}
