/**
 * Property-based fuzzing of the public surfaces (fast-check) against the whole mesh as processes:
 * every REST operation of the OpenAPI document, every tRPC procedure, and every gRPC method of the
 * four services (random bytes, and valid messages with hostile values). Invariants, for every case:
 * no 5xx / INTERNAL / UNKNOWN for client input; every refusal carries a reason code; no answer
 * contains internal text (stack frames, file paths, driver, libvips or grpc-js messages); and after
 * the run every process still answers (none crashed).
 *
 * `npm test` runs FUZZ_RUNS (default 150) cases per surface with the fixed seed below; `npm run fuzz`
 * runs 10,000. A failure prints fast-check's seed and path: `FUZZ_SEED=<seed> FUZZ_PATH=<path>
 * npx vitest run test/fuzz.test.ts` replays it exactly.
 */
import {
  Metadata,
  status as grpcStatus,
  makeGenericClientConstructor,
  credentials,
  type Client,
} from '@grpc/grpc-js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { connect, headers as natsHeaders } from 'nats';
import sharp from 'sharp';
import { CATALOGUE, type EventType } from '@guardian/events';
import { collectGarbage } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER, newUser, startMesh, type Mesh } from '../apps/web/test/harness.js';
import { PROCEDURE_DEFS } from '../apps/web/src/router/root.js';
import { makeVideo } from '../apps/biometrics/test/fixtures/video.js';
import { FaceServiceService } from '@guardian/proto/gen/guardian/biometrics/v1/face';
import { MediaServiceService } from '@guardian/proto/gen/guardian/biometrics/v1/media';
import { AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';
import { UserServiceService } from '@guardian/proto/gen/guardian/identity/v1/user';
import { VerificationServiceService } from '@guardian/proto/gen/guardian/identity/v1/verification';
import { NotificationServiceService } from '@guardian/proto/gen/guardian/notifier/v1/notification';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const PATH = process.env.FUZZ_PATH;
const params = { numRuns: RUNS, seed: SEED, ...(PATH ? { path: PATH } : {}), endOnFailure: true };

/** What must never reach a client: stack frames, source paths, driver / libvips / grpc-js wording. */
const INTERNAL =
  /\bat [\w.<>]+ \(|node_modules|\/work\/|\/app\/|\.ts:\d+|\.js:\d+|MongoServerError|MongoNetworkError|E11000|vips_|VipsJpeg|libvips|ECONNREFUSED|No connection established|Deadline exceeded|Received RST_STREAM|TypeError|ReferenceError|Cannot read propert/;

/** Strings a hostile client sends. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '../../etc/passwd',
    '%00',
    '\u0000',
    '{}',
    '[]',
    'null',
    'NaN',
    '-1',
    '1e309',
    '__proto__',
    'constructor',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '{"$gt":""}',
    'data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ',
    'data:image/png;base64,iVBORw0KGgo=',
    '🙂'.repeat(50),
    'A'.repeat(5_000),
  ),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  hostileString,
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 4 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 4 }),
);

/** A value as text in a URL (objects as JSON: some have no prototype to print themselves with). */
const asText = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

interface Operation {
  method: string;
  path: string;
  fields: string[];
  query: string[];
  /** The multipart body's fields where the operation takes one (files and text), else empty. */
  multipart: string[];
}

/** Small image and document files to mutate, and a PNG whose header declares 60000 x 60000 pixels. */
const imageSeeds = async () => {
  const base = await sharp({
    create: { width: 96, height: 96, channels: 3, background: { r: 200, g: 150, b: 120 } },
  })
    .jpeg()
    .toBuffer();
  return [
    base,
    await sharp(base).png().toBuffer(),
    await sharp(base).webp().toBuffer(),
    await sharp(base).gif().toBuffer(),
    Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
    // A decompression bomb's first bytes.
    Buffer.from(await sharp(base).png().toBuffer()).fill(0xea, 16, 24),
  ];
};

describe('fuzzing the public surfaces', () => {
  let mesh: Mesh;
  let operations: Operation[];
  const tokens: Record<'none' | 'user' | 'master' | 'garbage', string> = {
    none: '',
    user: '',
    master: '',
    garbage: 'Bearer eyJhbGciOiJub25lIn0.e30.',
  };

  beforeAll(async () => {
    mesh = await startMesh({
      liveness: true,
      inspectable: true,
      // Out of the way so that cases reach the procedures (limits have their own tests).
      web: {
        WEB_AUTH_RATE_LIMIT: '1000000',
        WEB_UPLOAD_RATE_LIMIT: '1000000',
        WEB_READ_RATE_LIMIT: '1000000',
      },
    });
    const login = async (identifier: string, password: string) => {
      const r = await fetch(`${mesh.baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identifier, password }),
      });
      return `Bearer ${((await r.json()) as { accessToken: string }).accessToken}`;
    };
    tokens.master = await login(MASTER.username, MASTER.password);
    const person = newUser();
    await fetch(`${mesh.baseUrl}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(person),
    });
    tokens.user = await login(person.username, person.password);
    // Warm up the paths the cases take (image decoding, inference, documents), then the baseline.
    const photo = (await imageSeeds())[0]!.toString('base64');
    for (const [path, body] of [
      ['/api/face/detect', { image: photo }],
      ['/api/face/compare', { image1: photo, image2: photo }],
      ['/api/verification/documents', { type: 'id_card', content: photo }],
    ] as const)
      await fetch(`${mesh.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: tokens.user },
        body: JSON.stringify(body),
      });
    baseline = await memory();
    const doc = (await (await fetch(`${mesh.baseUrl}/api/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { name: string; in: string }[];
            requestBody?: { content: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
          }
        >
      >;
    };
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        fields: Object.keys(Object.values(op.requestBody?.content ?? {})[0]?.schema?.properties ?? {}),
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        multipart: Object.keys(op.requestBody?.content['multipart/form-data']?.schema?.properties ?? {}),
      })),
    );
  }, 300_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  /**
   * Each process's resident memory and V8 heap in use, MiB, from its /metrics, read right after a
   * full garbage collection in it: what the process keeps, not garbage an idle process has had no
   * reason to collect yet (the notifier's heap read 102 MiB after 10,000 garbage events, and 51
   * MiB after a collection).
   */
  const memory = async () => {
    const urls = {
      identity: `http://127.0.0.1:${mesh.appEnv.get('identity')!.METRICS_PORT}`,
      biometrics: `http://127.0.0.1:${mesh.appEnv.get('biometrics')!.METRICS_PORT}`,
      notifier: `http://127.0.0.1:${mesh.appEnv.get('notifier')!.METRICS_PORT}`,
      web: mesh.metricsUrl,
    };
    const read = (text: string, name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]) / 2 ** 20;
    const result: Record<string, { rss: number; heap: number }> = {};
    for (const [name, url] of Object.entries(urls)) {
      await collectGarbage(mesh.processes.get(name)!);
      const text = await (await fetch(`${url}/metrics`)).text();
      result[name] = {
        rss: read(text, 'process_resident_memory_bytes'),
        heap: read(text, 'nodejs_heap_size_used_bytes'),
      };
    }
    return result;
  };
  let baseline: Awaited<ReturnType<typeof memory>>;

  /** A session-ending operation would spend the tokens the other cases use: anonymous there. */
  const ends = (op: Operation) => /logout|password|\/sessions\//.test(op.path);

  /** The invariants on one HTTP answer. */
  async function check(response: Response, what: string) {
    const text = await response.text();
    expect(response.status, `${what}: ${text.slice(0, 300)}`).toBeLessThan(500);
    expect(text, what).not.toMatch(INTERNAL);
    if (response.status >= 400 && (response.headers.get('content-type') ?? '').includes('json')) {
      const body = JSON.parse(text) as { error?: { reason?: string; data?: { reason?: string } } };
      // Guardian's envelopes carry it in error.reason (REST) or error.data.reason (tRPC); the
      // compatibility profiles in their origin's envelope, under the origin's key (a reason code).
      const reason = what.includes('/compat/')
        ? reasonCodeIn(body)
        : (body.error?.reason ?? body.error?.data?.reason);
      expect(
        typeof reason === 'string' && reason.length > 0,
        `${what}: no reason in ${text.slice(0, 300)}`,
      ).toBe(true);
    }
  }

  /** A reason code (UPPER_SNAKE) among a body's values, two levels deep. */
  const reasonCodeIn = (body: unknown): string | undefined => {
    const values = Object.values((body ?? {}) as Record<string, unknown>);
    const nested = values.flatMap((v) => (v && typeof v === 'object' ? Object.values(v) : []));
    return [...values, ...nested].find(
      (v): v is string => typeof v === 'string' && /^[A-Z][A-Z0-9_]{2,}$/.test(v),
    );
  };

  it('REST: every operation answers hostile bodies, paths, queries and headers with a reasoned 4xx (or success)', async () => {
    const caseArb = fc.record({
      op: fc.nat({ max: 10_000 }),
      who: fc.constantFrom('none', 'user', 'master', 'garbage'),
      pathValue: hostileString,
      body: fc.oneof(
        fc.dictionary(fc.string({ maxLength: 12 }), hostileValue, { maxKeys: 5 }),
        fc.constant('fields'),
        fc.constant('raw'),
      ),
      fieldValues: fc.array(hostileValue, { minLength: 8, maxLength: 8 }),
      raw: fc.string({ maxLength: 200 }),
      query: fc.array(fc.tuple(fc.string({ maxLength: 8 }), hostileString), { maxLength: 3 }),
      cookie: fc.option(hostileString),
      forwarded: fc.option(hostileString),
    });
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const op = operations[c.op % operations.length]!;
        const who = ends(op) ? 'none' : c.who;
        const path = op.path.replace(/\{(\w+)\}/g, () => encodeURIComponent(c.pathValue) || 'x');
        const query = new URLSearchParams([
          ...op.query.map((q, i) => [q, asText(c.fieldValues[i])] as [string, string]),
          ...c.query,
        ]);
        let body: string | undefined;
        if (op.method !== 'GET' && op.method !== 'DELETE') {
          if (c.body === 'raw') body = c.raw;
          else if (c.body === 'fields')
            body = JSON.stringify(Object.fromEntries(op.fields.map((f, i) => [f, c.fieldValues[i % 8]])));
          else body = JSON.stringify(c.body);
        }
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (tokens[who]) headers.authorization = tokens[who];
        if (c.cookie !== null) headers.cookie = `guardian_access=${encodeURIComponent(c.cookie)}`;
        if (c.forwarded !== null) headers['x-forwarded-for'] = encodeURIComponent(c.forwarded);
        const url = `${mesh.baseUrl}${path}${query.size ? `?${query}` : ''}`;
        const response = await fetch(url, {
          method: op.method,
          headers,
          ...(body === undefined ? {} : { body }),
        });
        await check(response, `${op.method} ${url}`);
      }),
      params,
    );
  }, 600_000);

  it('tRPC: every procedure answers hostile input with a reasoned error (or success)', async () => {
    const procedures = [...PROCEDURE_DEFS.entries()].filter(([, def]) => def.type !== 'subscription');
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 10_000 }),
        fc.constantFrom('none', 'user', 'master', 'garbage'),
        hostileValue,
        fc.boolean(),
        async (index, who, input, rawInput) => {
          const [name, def] = procedures[index % procedures.length]!;
          const auth = /logout|Password|revokeSession/i.test(name) ? '' : tokens[who as keyof typeof tokens];
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (auth) headers.authorization = auth;
          const encoded = rawInput ? asText(input) : JSON.stringify(input);
          const response =
            def.type === 'query'
              ? await fetch(`${mesh.baseUrl}/trpc/${name}?input=${encodeURIComponent(encoded)}`, { headers })
              : await fetch(`${mesh.baseUrl}/trpc/${name}`, { method: 'POST', headers, body: encoded });
          await check(response, `trpc ${name} ${encoded.slice(0, 200)}`);
        },
      ),
      params,
    );
  }, 600_000);

  it('gRPC: every method of every service answers random bytes and hostile messages without INTERNAL', async () => {
    const services = [
      {
        address: () => mesh.addresses.identity,
        definitions: [AuthServiceService, UserServiceService, VerificationServiceService],
      },
      { address: () => mesh.addresses.biometrics, definitions: [FaceServiceService, MediaServiceService] },
      { address: () => mesh.addresses.notifier, definitions: [NotificationServiceService] },
    ];
    const methods: { client: Client; path: string; encode: (value: unknown) => Buffer }[] = [];
    for (const s of services)
      for (const definition of s.definitions) {
        // Raw bytes in and out: the service parses what arrives.
        const Generic = makeGenericClientConstructor(
          Object.fromEntries(
            Object.entries(definition).map(([key, m]) => [
              key,
              { ...m, requestSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b },
            ]),
          ) as never,
          'fuzz',
        );
        const client = new Generic(s.address(), credentials.createInsecure());
        for (const m of Object.values(definition) as {
          path: string;
          requestSerialize: (v: unknown) => Buffer;
          responseStream?: boolean;
        }[])
          if (!m.responseStream)
            methods.push({
              client,
              path: m.path,
              encode: (v) => Buffer.from(m.requestSerialize(v as never)),
            });
      }
    const call = (client: Client, path: string, bytes: Buffer, token: string) =>
      new Promise<{ code: number; details: string; reason: string }>((resolve) => {
        const metadata = new Metadata();
        if (token) metadata.set('authorization', token);
        client.makeUnaryRequest(
          path,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          metadata,
          { deadline: Date.now() + 20_000 },
          (error) =>
            resolve({
              code: error?.code ?? grpcStatus.OK,
              details: error?.details ?? '',
              reason: String(error?.metadata?.get('x-error-reason')[0] ?? ''),
            }),
        );
      });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: 10_000 }),
          fc.constantFrom('none', 'user', 'master', 'garbage'),
          fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(null)),
          fc.dictionary(fc.string({ maxLength: 12 }), hostileValue, { maxKeys: 4 }),
          async (index, who, bytes, message) => {
            const m = methods[index % methods.length]!;
            const token = /Logout|ChangePassword|RevokeSession/.test(m.path)
              ? ''
              : tokens[who as keyof typeof tokens];
            let payload: Buffer;
            if (bytes) payload = Buffer.from(bytes);
            else {
              try {
                payload = m.encode(message);
              } catch {
                payload = Buffer.alloc(0);
              }
            }
            const r = await call(m.client, m.path, payload, token);
            const what = `${m.path} ${payload.toString('hex').slice(0, 120)}: ${grpcStatus[r.code]} ${r.details}`;
            expect([grpcStatus.INTERNAL, grpcStatus.UNKNOWN, grpcStatus.DATA_LOSS], what).not.toContain(
              r.code,
            );
            expect(r.details, what).not.toMatch(INTERNAL);
            if (r.code !== grpcStatus.OK) expect(r.reason, `${what}: no reason`).not.toBe('');
          },
        ),
        params,
      );
    } finally {
      for (const m of methods) m.client.close();
    }
  }, 600_000);

  /** Mutated bytes of one of the image / document seeds: `flips` overwrite bytes, `cut` truncates. */
  const mutate = (seed: Buffer, flips: [number, number][], cut: number | null) => {
    const bytes = Buffer.from(seed);
    for (const [at, value] of flips) bytes[at % bytes.length] = value;
    return cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
  };
  const mutations = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 });

  it('decoders: mutated JPEG / PNG / WebP / GIF / PDF bytes, truncations and huge declared sizes answer with a reason', async () => {
    const seeds = await imageSeeds();
    const targets = [
      { path: '/api/face/detect', body: (b64: string) => ({ image: b64 }) },
      { path: '/api/face/compare', body: (b64: string) => ({ image1: b64, image2: b64 }) },
      { path: '/api/verification/documents', body: (b64: string) => ({ type: 'id_card', content: b64 }) },
      {
        path: '/api/auth/face-login',
        body: (b64: string) => ({ liveness: { session: 'x.y.z', frames: [{ image: b64, tMs: 0 }] } }),
      },
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 10_000 }),
        fc.nat({ max: 10_000 }),
        mutations,
        fc.option(fc.nat()),
        async (which, where, flips, cut) => {
          const mutated = mutate(seeds[which % seeds.length]!, flips, cut);
          const target = targets[where % targets.length]!;
          const response = await fetch(`${mesh.baseUrl}${target.path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: tokens.user },
            body: JSON.stringify(target.body(mutated.toString('base64'))),
          });
          await check(response, `${target.path} with ${mutated.length} mutated bytes`);
        },
      ),
      params,
    );
  }, 600_000);

  it('multipart: hostile parts, names, file names, part headers, limits and broken framing answer with a reason', async () => {
    const seeds = await imageSeeds();
    const multipart = operations.filter((op) => op.multipart.length);
    expect(multipart.length).toBeGreaterThan(5);
    const part = fc.record({
      file: fc.boolean(),
      // One of the operation's own fields most of the time, else anything.
      name: fc.oneof(fc.nat({ max: 100 }), hostileString),
      filename: fc.option(hostileString),
      type: fc.option(
        fc.constantFrom(
          'image/jpeg',
          'image/png',
          'application/pdf',
          'application/octet-stream',
          'text/plain; charset=utf-16',
          'multipart/mixed; boundary=inner',
          '../../x',
          '',
        ),
      ),
      content: fc.oneof(
        fc.record({ seed: fc.nat(), flips: mutations, cut: fc.option(fc.nat()) }),
        hostileString,
        fc.constantFrom('empty', 'over-field-limit'),
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 10_000 }),
        fc.constantFrom('none', 'user', 'master', 'garbage'),
        fc.array(part, { maxLength: 6 }),
        // Enough copies of the last part to pass the 30-part limit, sometimes.
        fc.option(fc.integer({ min: 20, max: 40 }), { freq: 8 }),
        fc.constantFrom(
          'ok',
          'truncated',
          'no-closing',
          'other-boundary',
          'no-boundary',
          'lf-only',
          'preamble',
          'quoted-boundary',
        ),
        async (index, who, parts, repeat, framing) => {
          const op = multipart[index % multipart.length]!;
          const boundary = 'fuzzBoundary7MA4YWxkTrZu0gW';
          const chunks: Buffer[] = [];
          const eol = framing === 'lf-only' ? '\n' : '\r\n';
          if (framing === 'preamble') chunks.push(Buffer.from(`junk before the first part${eol}`));
          const all = repeat && parts.length ? [...parts, ...Array(repeat).fill(parts.at(-1)!)] : parts;
          for (const p of all) {
            const name = typeof p.name === 'number' ? op.multipart[p.name % op.multipart.length]! : p.name;
            let content: Buffer;
            if (typeof p.content === 'string')
              content =
                p.content === 'empty'
                  ? Buffer.alloc(0)
                  : p.content === 'over-field-limit'
                    ? Buffer.alloc(70 * 1024, 0x41)
                    : Buffer.from(p.content);
            else content = mutate(seeds[p.content.seed % seeds.length]!, p.content.flips, p.content.cut);
            const disposition = `form-data; name="${name}"${
              p.file ? `; filename="${p.filename ?? 'photo.jpg'}"` : ''
            }`;
            chunks.push(
              Buffer.from(
                `--${boundary}${eol}Content-Disposition: ${disposition}${eol}${
                  p.type === null ? '' : `Content-Type: ${p.type}${eol}`
                }${eol}`,
              ),
              content,
              Buffer.from(eol),
            );
          }
          if (framing !== 'no-closing' && framing !== 'truncated')
            chunks.push(Buffer.from(`--${boundary}--${eol}`));
          let body = Buffer.concat(chunks);
          if (framing === 'truncated') body = body.subarray(0, Math.floor(body.length / 2));
          const contentType =
            {
              'other-boundary': 'multipart/form-data; boundary=somethingElse',
              'no-boundary': 'multipart/form-data',
              'quoted-boundary': `multipart/form-data; boundary="${boundary}"`,
            }[framing as string] ?? `multipart/form-data; boundary=${boundary}`;
          const headers: Record<string, string> = { 'content-type': contentType };
          const auth = ends(op) ? '' : tokens[who as keyof typeof tokens];
          if (auth) headers.authorization = auth;
          const path = op.path.replace(/\{(\w+)\}/g, 'x');
          const response = await fetch(`${mesh.baseUrl}${path}`, { method: op.method, headers, body });
          await check(
            response,
            `${op.method} ${path} multipart (${framing}, ${all.length} parts: ${parts
              .map((p) => `${p.file ? 'file' : 'field'} ${JSON.stringify(p.name)}`)
              .join(', ')})`,
          );
        },
      ),
      params,
    );
  }, 600_000);

  it('videos: mutated MP4 / WebM bytes and hostile offsets through the upload URL and finalize answer with a reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'guardian-fuzz-video-'));
    const seeds = await Promise.all(
      ['mp4', 'webm'].map(async (ext) =>
        readFile(
          await makeVideo(join(dir, `seed.${ext}`), [{ seconds: 1 }], { width: 160, height: 120, fps: 4 }),
        ),
      ),
    );
    await rm(dir, { recursive: true, force: true });
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 10_000 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
        fc.option(fc.nat()),
        fc.oneof(fc.constant('right'), hostileString),
        fc.constantFrom('application/offset+octet-stream', 'application/json', 'text/plain', ''),
        async (which, flips, cut, offset, contentType) => {
          const bytes = Buffer.from(seeds[which % seeds.length]!);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          const video = cut === null ? bytes : bytes.subarray(0, Math.max(1, cut % (bytes.length + 1)));
          const json = { 'content-type': 'application/json', authorization: tokens.user };
          const init = await fetch(`${mesh.baseUrl}/api/videos/upload/initialize`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ fileName: 'fuzz.mp4', sizeBytes: video.length }),
          });
          expect(init.status).toBe(201);
          const { uploadUrl, video: created } = (await init.json()) as {
            uploadUrl: string;
            video: { id: string };
          };
          const headers: Record<string, string> = { authorization: tokens.user };
          if (contentType) headers['content-type'] = contentType;
          headers['upload-offset'] = offset === 'right' ? '0' : offset.replace(/[^\t\x20-\x7e]/g, '');
          const sent = await fetch(`${mesh.baseUrl}${uploadUrl}`, { method: 'PATCH', headers, body: video });
          await check(sent, `PATCH ${uploadUrl} offset ${headers['upload-offset']} ${contentType}`);
          const finalize = await fetch(`${mesh.baseUrl}/api/videos/upload/finalize`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ videoId: created.id }),
          });
          await check(finalize, `finalize ${video.length} mutated bytes`);
          // Whatever it was, it is gone after a delete (no job left running on junk).
          const removed = await fetch(`${mesh.baseUrl}/api/videos/${created.id}`, {
            method: 'DELETE',
            headers: json,
          });
          await check(removed, `delete ${created.id}`);
        },
      ),
      params,
    );
  }, 600_000);

  it('event consumers: garbage, wrong CloudEvents headers, duplicated and reordered deliveries leave every consumer running', async () => {
    const nats = await connect({ servers: mesh.env.natsUrl });
    const js = nats.jetstream();
    const types = Object.keys(CATALOGUE) as EventType[];
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: 10_000 }),
          fc.uint8Array({ maxLength: 200 }),
          fc.record({
            type: fc.option(hostileString),
            id: fc.option(hostileString),
            time: fc.option(hostileString),
            subject: fc.option(hostileString),
          }),
          fc.nat({ max: 3 }),
          async (which, body, headers, copies) => {
            const type = types[which % types.length]!;
            const hdrs = natsHeaders();
            // Header values are one line of visible ASCII in NATS.
            const header = (v: string) => v.replace(/[^\x21-\x7e]/g, '_').slice(0, 200) || '_';
            hdrs.set('ce-specversion', '1.0');
            hdrs.set('ce-type', headers.type === null ? type : header(headers.type));
            if (headers.id !== null) hdrs.set('ce-id', header(headers.id));
            if (headers.time !== null) hdrs.set('ce-time', header(headers.time));
            if (headers.subject !== null) hdrs.set('ce-subject', header(headers.subject));
            hdrs.set('ce-source', 'fuzz');
            // The same message up to 3 more times (a duplicate, possibly after others: reordered).
            for (let k = 0; k <= copies; k++)
              await js.publish(`${mesh.env.prefix}${type}`, body, { headers: hdrs });
          },
        ),
        params,
      );
    } finally {
      await nats.drain();
    }
    // The consumers went through it all: identity, biometrics and the notifier still serve.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }, 600_000);

  it('leaves every process up and answering after the run', async () => {
    const health = await fetch(`${mesh.baseUrl}/api/system/status`, {
      headers: { authorization: tokens.master },
    });
    expect(health.status).toBe(200);
    const body = (await health.json()) as {
      services: { name: string; health: string }[];
      inference: unknown;
      consumers: { consumer: string; pending: number; ackPending: number }[];
    };
    expect(body.services.map((s) => [s.name, s.health])).toEqual([
      ['identity', 'SERVING'],
      ['biometrics', 'SERVING'],
      ['notifier', 'SERVING'],
    ]);
    expect(body.inference).not.toBeNull();
    // Every durable consumer is still there and got through the garbage (nothing left waiting).
    expect(body.consumers.length).toBeGreaterThan(0);
    await expect
      .poll(
        async () =>
          (
            (await (
              await fetch(`${mesh.baseUrl}/api/system/status`, { headers: { authorization: tokens.master } })
            ).json()) as typeof body
          ).consumers.reduce((n, c) => n + c.pending + c.ackPending, 0),
        { timeout: 60_000, interval: 1_000 },
      )
      .toBe(0);
    // And the services still do their work: identity lists accounts for the master (a fresh sign-in
    // from this IP may by now be throttled, rightly, after thousands of hostile sign-in cases).
    const users = await fetch(`${mesh.baseUrl}/api/admin/users?pageSize=5`, {
      headers: { authorization: tokens.master },
    });
    expect(users.status).toBe(200);
  });

  it('memory returns to its baseline after the run', async () => {
    const after = await memory();
    const rows = Object.entries(after).map(([name, m]) => {
      const before = baseline[name]!;
      return {
        name,
        before,
        after: m,
        kept: m.heap <= before.heap * 1.25 + 24 && m.rss <= before.rss * 1.25 + 100,
      };
    });
    console.log(
      `memory after ${RUNS} cases per surface (MiB, baseline -> after): ${rows
        .map(
          (r) =>
            `${r.name} heap ${r.before.heap.toFixed(0)} -> ${r.after.heap.toFixed(0)}, RSS ${r.before.rss.toFixed(0)} -> ${r.after.rss.toFixed(0)}`,
        )
        .join('; ')}`,
    );
    // Heap within a quarter (+24 MiB of caches that fill once), RSS within a quarter (+100 MiB).
    expect(rows.filter((r) => !r.kept).map((r) => r.name)).toEqual([]);
  }, 60_000);
});
