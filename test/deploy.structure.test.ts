// Structural checks of the deployment files (no Docker or Kubernetes needed): docker-compose.yml,
// .env.example, the Dockerfile and every manifest reachable from the kustomizations under k8s/.
// The kustomize part is a small re-implementation of what `kubectl kustomize` does with the
// fields used here (resources, namespace, images, replicas, patches with strategic merge), so
// the assertions run against what an overlay really renders.
//
// DEPLOY_TEST_ROOT=<dir> runs the same checks against another checkout (e.g. a mutated copy).
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = process.env.DEPLOY_TEST_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type Obj = Record<string, unknown>;

const GRPC_APPS = ['identity', 'biometrics', 'notifier'] as const;
const ALL_APPS = [...GRPC_APPS, 'web'] as const;
const GRPC_PORTS: Record<(typeof GRPC_APPS)[number], number> = {
  identity: 50051,
  biometrics: 50052,
  notifier: 50053,
};
/** Variables whose value is a secret (keys, passwords, tokens), e.g. IDENTITY_SIGNING_KEYS, RESEND_API_KEY. */
const SECRET_NAME = /PASSWORD|SECRET|CREDENTIAL|_KEYS?$|_TOKEN$/;

// ---------------------------------------------------------------------------------------------
// small typed accessors (strict + noUncheckedIndexedAccess friendly)

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(v)}`);
  return v;
}
function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what}: expected a list, got ${JSON.stringify(v)}`);
  return v;
}
function optArr(v: unknown, what: string): unknown[] {
  return v === undefined || v === null ? [] : arr(v, what);
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}
function at(root: unknown, dotted: string): unknown {
  let cur: unknown = root;
  for (const key of dotted.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}
function read(rel: string): string {
  return readFileSync(path.join(ROOT, rel), 'utf8');
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

const compose = obj(parse(read('docker-compose.yml'), { merge: true }), 'docker-compose.yml');
const services = obj(compose.services, 'services');
const appServices = Object.entries(services)
  .filter(([, s]) => isObj(s) && s.build !== undefined)
  .map(([name, s]) => [name, obj(s, name)] as const);

function serviceEnv(svc: Obj, name: string): Record<string, string> {
  const env = svc.environment;
  const out: Record<string, string> = {};
  if (env === undefined) return out;
  if (Array.isArray(env)) {
    for (const item of env) {
      const [k, ...rest] = str(item, `${name}.environment[]`).split('=');
      out[k ?? ''] = rest.join('=');
    }
    return out;
  }
  for (const [k, v] of Object.entries(obj(env, `${name}.environment`))) out[k] = v === null ? '' : String(v);
  return out;
}
function commandWords(v: unknown): string[] {
  if (typeof v === 'string') return v.split(/\s+/).filter(Boolean);
  return optArr(v, 'command').map(String);
}
function healthTest(svc: Obj): string {
  const t = at(svc, 'healthcheck.test');
  return Array.isArray(t) ? t.map(String).join(' ') : String(t ?? '');
}

// ---------------------------------------------------------------------------------------------
// Dockerfile: stages and their instructions (continuation lines joined, comments dropped)

interface Stage {
  name: string;
  from: string;
  instructions: { op: string; args: string }[];
}
function parseDockerfile(text: string): { globalArgs: Record<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let acc = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    const line = raw.replace(/\s+$/, '');
    if (line.endsWith('\\')) {
      acc += line.slice(0, -1) + ' ';
      continue;
    }
    acc += line;
    if (acc.trim()) logical.push(acc.trim());
    acc = '';
  }
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const op = (m[1] ?? '').toUpperCase();
    const args = m[2] ?? '';
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`bad FROM: ${line}`);
      stages.push({
        name: (f[2] ?? String(stages.length)).toLowerCase(),
        from: f[1] ?? '',
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (op === 'ARG') {
        const [k, v] = args.split('=');
        if (k) globalArgs[k] = v ?? '';
      }
    } else {
      stages[stages.length - 1]?.instructions.push({ op, args });
    }
  }
  return { globalArgs, stages };
}
const dockerfile = parseDockerfile(read('Dockerfile'));
function stage(name: string): Stage {
  const s = dockerfile.stages.find((st) => st.name === name);
  if (!s) throw new Error(`Dockerfile has no stage "${name}"`);
  return s;
}
function expandArgs(s: string): string {
  return s.replace(/\$\{?(\w+)\}?/g, (whole, k: string) => dockerfile.globalArgs[k] ?? whole);
}
function ops(st: Stage, op: string): string[] {
  return st.instructions.filter((i) => i.op === op).map((i) => i.args);
}

// ---------------------------------------------------------------------------------------------
// mini kustomize

interface Built {
  docs: Obj[];
  /** every patch of every kustomization on the way, with how many resources it matched */
  patchReport: { kustomization: string; patch: string; matched: number }[];
}

function loadYamlText(text: string, what = 'yaml'): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((d) => d !== null && d !== undefined)
    .map((d) => obj(d, what));
}
function loadYamlDocs(file: string): Obj[] {
  return loadYamlText(readFileSync(file, 'utf8'), file);
}
function kustomizationFile(dir: string): string {
  for (const n of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    const f = path.join(dir, n);
    if (existsSync(f)) return f;
  }
  throw new Error(`no kustomization in ${dir}`);
}
function metaName(d: Obj): string {
  return str(at(d, 'metadata.name'), 'metadata.name');
}
function groupVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}
function podSpecs(d: Obj): Obj[] {
  const spec = at(d, 'spec.template.spec');
  return isObj(spec) ? [spec] : [];
}
function containersOf(d: Obj): Obj[] {
  return podSpecs(d).flatMap((ps) =>
    [...optArr(ps.initContainers, 'initContainers'), ...optArr(ps.containers, 'containers')].map((c) =>
      obj(c, 'container'),
    ),
  );
}

/** Strategic merge patch, the subset kustomize needs here: maps merge, `null` deletes, lists of
 *  named items (containers, env, volumes, ports) merge by name, other lists are replaced. */
function strategicMerge(base: unknown, patch: unknown): unknown {
  if (isObj(base) && isObj(patch)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(patch)) {
      if (k === '$patch') continue;
      if (v === null) delete out[k];
      else out[k] = k in base ? strategicMerge(base[k], v) : v;
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch)) {
    const named = (a: unknown[]) => a.every((x) => isObj(x) && typeof x.name === 'string');
    if (!named(base) || !named(patch) || patch.length === 0) return patch;
    const out = base.map((x) => x as Obj);
    for (const p of patch as Obj[]) {
      const i = out.findIndex((x) => x.name === p.name);
      if (i < 0) out.push(p);
      else out[i] = strategicMerge(out[i], p) as Obj;
    }
    return out;
  }
  return patch;
}

function jsonPatch(doc: Obj, ops6902: unknown[]): Obj {
  const copy = structuredClone(doc);
  for (const raw of ops6902) {
    const op = obj(raw, 'json patch op');
    const parts = str(op.path, 'op.path')
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop();
    if (last === undefined) throw new Error('empty json patch path');
    let parent: unknown = copy;
    for (const p of parts)
      parent = Array.isArray(parent) ? parent[Number(p)] : isObj(parent) ? parent[p] : undefined;
    if (parent === undefined) throw new Error(`json patch path ${String(op.path)} does not exist`);
    if (Array.isArray(parent)) {
      const idx = last === '-' ? parent.length : Number(last);
      if (op.op === 'add') parent.splice(idx, 0, op.value);
      else if (op.op === 'replace') parent[idx] = op.value;
      else if (op.op === 'remove') parent.splice(idx, 1);
      else throw new Error(`unsupported op ${String(op.op)}`);
    } else {
      const p = obj(parent, 'json patch parent');
      if (op.op === 'add' || op.op === 'replace') p[last] = op.value;
      else if (op.op === 'remove') delete p[last];
      else throw new Error(`unsupported op ${String(op.op)}`);
    }
  }
  return copy;
}

function matchesTarget(d: Obj, target: Obj): boolean {
  const { group, version } = groupVersion(str(d.apiVersion, 'apiVersion'));
  const anchored = (re: unknown, value: string) => new RegExp(`^(?:${String(re)})$`).test(value);
  if (target.kind !== undefined && target.kind !== d.kind) return false;
  if (target.group !== undefined && target.group !== group) return false;
  if (target.version !== undefined && target.version !== version) return false;
  if (target.name !== undefined && !anchored(target.name, metaName(d))) return false;
  return true;
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'StorageClass',
]);

function kustomize(dir: string): Built {
  const kFile = kustomizationFile(dir);
  const k = obj(parse(readFileSync(kFile, 'utf8')), kFile);
  const rel = path.relative(ROOT, dir);
  let docs: Obj[] = [];
  const patchReport: Built['patchReport'] = [];

  for (const r of optArr(k.resources, `${kFile} resources`)) {
    const p = path.resolve(dir, str(r, 'resource'));
    if (!existsSync(p)) throw new Error(`${kFile}: resource ${String(r)} does not exist`);
    if (statSync(p).isDirectory()) {
      const sub = kustomize(p);
      docs.push(...sub.docs);
      patchReport.push(...sub.patchReport);
    } else {
      docs.push(...loadYamlDocs(p));
    }
  }
  if (k.bases !== undefined) throw new Error(`${kFile}: use resources, not the deprecated bases`);

  if (typeof k.namespace === 'string') {
    const ns = k.namespace;
    docs = docs.map((d) =>
      CLUSTER_SCOPED.has(String(d.kind))
        ? d
        : { ...d, metadata: { ...obj(d.metadata, 'metadata'), namespace: ns } },
    );
  }

  for (const raw of optArr(k.patches, `${kFile} patches`)) {
    const entry = obj(raw, 'patch');
    const label = typeof entry.path === 'string' ? entry.path : 'inline patch';
    const patchDocs: unknown[] =
      typeof entry.path === 'string'
        ? parseAllDocuments(readFileSync(path.resolve(dir, entry.path), 'utf8')).map(
            (d) => d.toJS() as unknown,
          )
        : [parse(str(entry.patch, 'patch'))];
    let matched = 0;
    for (const pd of patchDocs) {
      if (Array.isArray(pd)) {
        const target = obj(entry.target, `${label}: a JSON6902 patch needs a target`);
        docs = docs.map((d) => (matchesTarget(d, target) ? (matched++, jsonPatch(d, pd)) : d));
        continue;
      }
      const p = obj(pd, label);
      const target: Obj = isObj(entry.target) ? entry.target : { kind: p.kind, name: metaName(p) };
      docs = docs.map((d) => {
        if (!matchesTarget(d, target)) return d;
        matched++;
        // a targeted patch keeps the target's identity
        const { metadata: pm, ...rest } = p;
        const merged = strategicMerge(d, rest) as Obj;
        if (isObj(pm))
          merged.metadata = strategicMerge(d.metadata, {
            ...pm,
            name: metaName(d),
            namespace: at(d, 'metadata.namespace'),
          });
        return merged;
      });
    }
    patchReport.push({ kustomization: rel, patch: label, matched });
  }
  if (k.patchesStrategicMerge !== undefined || k.patchesJson6902 !== undefined) {
    throw new Error(`${kFile}: use patches, not the deprecated patchesStrategicMerge/patchesJson6902`);
  }

  for (const raw of optArr(k.replicas, `${kFile} replicas`)) {
    const r = obj(raw, 'replicas');
    const hits = docs.filter((d) => d.kind === 'Deployment' && metaName(d) === r.name);
    if (hits.length === 0) throw new Error(`${kFile}: replicas for unknown Deployment ${String(r.name)}`);
    for (const d of hits) obj(d.spec, 'spec').replicas = r.count;
  }

  for (const raw of optArr(k.images, `${kFile} images`)) {
    const im = obj(raw, 'images');
    let used = false;
    for (const d of docs) {
      for (const c of containersOf(d)) {
        const image = str(c.image, 'image');
        const m = /^(.*?)(?::([^:/@]+))?(@.+)?$/.exec(image);
        const name = m?.[1] ?? image;
        if (name !== im.name) continue;
        used = true;
        const newName = typeof im.newName === 'string' ? im.newName : name;
        const newTag = im.newTag !== undefined ? String(im.newTag) : m?.[2];
        c.image = newTag ? `${newName}:${newTag}` : newName;
      }
    }
    if (!used) throw new Error(`${kFile}: images entry ${String(im.name)} matches no container`);
  }

  return { docs, patchReport };
}

function find(docs: Obj[], kind: string, name: string): Obj | undefined {
  return docs.find((d) => d.kind === kind && metaName(d) === name);
}
function podLabels(dep: Obj): Obj {
  return obj(at(dep, 'spec.template.metadata.labels'), `${metaName(dep)} pod labels`);
}
function selects(selector: unknown, labels: Obj): boolean {
  if (!isObj(selector) || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
function containerPorts(dep: Obj): { name?: string; containerPort: number }[] {
  return containersOf(dep).flatMap((c) =>
    optArr(c.ports, 'ports').map((p) => {
      const o = obj(p, 'port');
      return {
        name: typeof o.name === 'string' ? o.name : undefined,
        containerPort: Number(o.containerPort),
      };
    }),
  );
}

/** Order-insensitive form for comparing with real kustomize output (named lists sorted by name). */
const BUILDS = ['k8s/base', 'k8s/overlays/dev', 'k8s/overlays/gpu'] as const;
const built = Object.fromEntries(BUILDS.map((b) => [b, kustomize(path.join(ROOT, b))])) as Record<
  (typeof BUILDS)[number],
  Built
>;

// =============================================================================================

describe('docker-compose.yml', () => {
  it('builds the four apps (and the GPU variant) from the Dockerfile with a target and APP arg', () => {
    const names = appServices.map(([n]) => n);
    for (const app of ALL_APPS) expect(names).toContain(app);
    const stages = dockerfile.stages.map((s) => s.name);
    for (const [name, svc] of appServices) {
      const build = obj(svc.build, `${name}.build`);
      expect(build.context, `${name} build context`).toBe('.');
      expect(build.dockerfile ?? 'Dockerfile', `${name} dockerfile`).toBe('Dockerfile');
      const target = str(build.target, `${name}.build.target`);
      expect(stages, `${name}: target ${target} is a Dockerfile stage`).toContain(target);
      const app = str(at(build, 'args.APP'), `${name}.build.args.APP`);
      expect(ALL_APPS as readonly string[]).toContain(app);
      expect(name.startsWith(app), `${name} builds APP=${app}`).toBe(true);
    }
  });

  it('every app service has a healthcheck probing its own port', () => {
    for (const [name, svc] of appServices) {
      expect(at(svc, 'healthcheck.disable'), name).not.toBe(true);
      const test = healthTest(svc);
      expect(test, `${name} healthcheck`).toMatch(/^(CMD|CMD-SHELL) /);
      expect(test, `${name} healthcheck uses the probe`).toContain('scripts/grpc-health-probe.mjs');
      const env = serviceEnv(svc, name);
      if (name === 'web') {
        expect(test).toMatch(/http:\/\/127\.0\.0\.1:8080\/healthz/);
      } else {
        expect(env.GRPC_PORT, `${name} GRPC_PORT`).toBeDefined();
        expect(test, `${name} probes its gRPC port`).toContain(`127.0.0.1:${env.GRPC_PORT ?? ''}`);
      }
    }
  });

  it('every app service depends on healthy mongo and nats', () => {
    for (const [name, svc] of appServices) {
      const dep = obj(svc.depends_on, `${name}.depends_on`);
      for (const infra of ['mongo', 'nats']) {
        expect(at(dep, `${infra}.condition`), `${name} -> ${infra}`).toBe('service_healthy');
      }
    }
    for (const app of GRPC_APPS)
      expect(at(services, `web.depends_on.${app}.condition`)).toBe('service_healthy');
  });

  it('apps get the conventional environment (URLs, ports, web backends)', () => {
    for (const [name, svc] of appServices) {
      const env = serviceEnv(svc, name);
      expect(env.MONGO_URL, name).toMatch(/^mongodb:\/\/mongo:27017\/.*replicaSet=rs0/);
      expect(env.NATS_URL, name).toBe('nats://nats:4222');
      const app = name.replace(/-gpu$/, '');
      if (app !== 'web') {
        expect(Number(env.GRPC_PORT), name).toBe(GRPC_PORTS[app as (typeof GRPC_APPS)[number]]);
        expect(env.METRICS_PORT, name).toMatch(/^945[123]$/);
        expect(env.GRPC_HOST, name).toBe('0.0.0.0');
      }
    }
    const web = serviceEnv(obj(services.web, 'web'), 'web');
    expect(web.WEB_HTTP_PORT).toBe('8080');
    expect(web.METRICS_PORT).toBe('9454');
    expect(web.WEB_IDENTITY_ADDRESS).toBe('${IDENTITY_GRPC_URL:-identity:50051}');
    expect(web.WEB_BIOMETRICS_ADDRESS).toBe('${BIOMETRICS_GRPC_URL:-biometrics:50052}');
    expect(web.WEB_NOTIFIER_ADDRESS).toBe('${NOTIFIER_GRPC_URL:-notifier:50053}');
  });

  it('every *_ADDRESS an app is given names a compose service and its gRPC port (never loopback)', () => {
    let addresses = 0;
    for (const [name, svc] of appServices) {
      for (const [k, raw] of Object.entries(serviceEnv(svc, name))) {
        if (!k.endsWith('_ADDRESS')) continue;
        addresses++;
        const value = /^\$\{[A-Z0-9_]+:-(.*)\}$/.exec(raw)?.[1] ?? raw; // the default of ${X:-default}
        const [host, port] = value.split(':');
        const peer = services[host ?? ''];
        expect(isObj(peer), `${name}.${k}=${value}: no service ${String(host)}`).toBe(true);
        expect(serviceEnv(obj(peer, String(host)), String(host)).GRPC_PORT, `${name}.${k}`).toBe(port);
      }
    }
    // identity <-> biometrics (JWKS both ways), notifier -> identity, web -> all three
    expect(addresses).toBeGreaterThanOrEqual(6);
  });

  it('contains no literal secret values', () => {
    const reference = /^\$\{[A-Z0-9_]+(?::?[-?][^}]*)?\}$/;
    let secrets = 0;
    for (const [name, raw] of Object.entries(services)) {
      const env = serviceEnv(obj(raw, name), name);
      for (const [k, v] of Object.entries(env)) {
        if (/:\/\/[^/\s:@]+:[^/\s@]+@/.test(v)) throw new Error(`${name}.${k} embeds credentials in a URL`);
        if (!SECRET_NAME.test(k)) continue;
        secrets++;
        expect(v, `${name}.${k} must come from the environment`).toMatch(reference);
        // a default after :- must be empty: `${X:-}` is fine, `${X:-hunter2}` is a literal secret
        expect(/:-[^}]/.test(v), `${name}.${k} has a default value`).toBe(false);
      }
    }
    for (const k of ['IDENTITY_BOOTSTRAP_MASTER_PASSWORD', 'BIOMETRICS_TEMPLATE_KEY', 'RESEND_API_KEY']) {
      expect(read('docker-compose.yml')).toContain(`\${${k}`);
    }
    expect(secrets).toBeGreaterThanOrEqual(3);
  });

  it('.env.example lists every variable compose interpolates, with empty secrets', () => {
    const example = read('.env.example');
    const listed = new Map<string, string>();
    for (const line of example.split('\n')) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (m?.[1]) listed.set(m[1], m[2] ?? '');
    }
    const used = new Set(
      [...read('docker-compose.yml').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1] ?? ''),
    );
    expect(used.size).toBeGreaterThan(0);
    for (const v of used) expect(listed.has(v), `${v} missing from .env.example`).toBe(true);
    for (const [k, v] of listed) if (SECRET_NAME.test(k)) expect(v, `${k} in .env.example`).toBe('');
  });

  it('mongo is mongo:7 running as a replica set, initiated by its healthcheck', () => {
    const mongo = obj(services.mongo, 'mongo');
    expect(mongo.image).toMatch(/^mongo:7/);
    const cmd = commandWords(mongo.command);
    const i = cmd.indexOf('--replSet');
    expect(i, 'mongod --replSet').toBeGreaterThanOrEqual(0);
    const rs = cmd[i + 1] ?? '';
    const test = healthTest(mongo);
    expect(test).toContain('rs.initiate');
    expect(test).toContain(`_id: '${rs}'`);
    for (const [name, svc] of appServices)
      expect(serviceEnv(svc, name).MONGO_URL).toContain(`replicaSet=${rs}`);
  });

  it('nats runs with JetStream on a volume and a JetStream-aware healthcheck', () => {
    const nats = obj(services.nats, 'nats');
    expect(String(nats.image)).toMatch(/^nats:/);
    const cmd = commandWords(nats.command);
    expect(cmd.some((c) => c === '-js' || c === '--jetstream')).toBe(true);
    const sd = cmd[cmd.findIndex((c) => c === '-sd' || c === '--store_dir') + 1];
    expect(sd, 'JetStream store dir').toBeDefined();
    const volumes = optArr(nats.volumes, 'nats.volumes').map(String);
    expect(volumes.some((v) => v.endsWith(`:${sd ?? ''}`))).toBe(true);
    expect(cmd.join(' ')).toMatch(/(-m|--http_port) 8222/);
    expect(healthTest(nats)).toContain('8222/healthz?js-enabled-only=true');
  });

  it('the gpu profile runs biometrics-gpu with an nvidia device reservation', () => {
    const gpu = appServices.filter(([, s]) => optArr(s.profiles, 'profiles').includes('gpu'));
    expect(gpu.map(([n]) => n)).toContain('biometrics-gpu');
    for (const [name, svc] of gpu) {
      expect(at(svc, 'build.target'), name).toBe('biometrics-gpu');
      const devices = arr(at(svc, 'deploy.resources.reservations.devices'), `${name} devices`).map((d) =>
        obj(d, 'device'),
      );
      expect(
        devices.some((d) => d.driver === 'nvidia' && optArr(d.capabilities, 'capabilities').includes('gpu')),
        name,
      ).toBe(true);
      expect(serviceEnv(svc, name).BIOMETRICS_INFERENCE_BACKEND).toBe('gpu');
    }
    // the CPU services are not hidden behind a profile
    for (const app of ALL_APPS) expect(at(services, `${app}.profiles`)).toBeUndefined();
  });
});

describe('Dockerfile', () => {
  it('has every stage compose builds, plus deps and runtime', () => {
    const names = dockerfile.stages.map((s) => s.name);
    const targets = appServices.map(([n, s]) => str(at(s, 'build.target'), `${n} target`));
    for (const t of new Set([...targets, 'deps', 'runtime', 'biometrics-gpu'])) expect(names).toContain(t);
    // every COPY --from names an earlier stage (or an image)
    for (const st of dockerfile.stages) {
      for (const c of ops(st, 'COPY')) {
        const from = /--from=(\S+)/.exec(c)?.[1];
        if (from && !from.includes(':') && !from.includes('/'))
          expect(names, `COPY --from=${from}`).toContain(from);
      }
    }
  });

  it('runtime is node:20-bookworm-slim, non-root, runs tsx on apps/$APP/src/main.ts, SIGTERM, healthcheck', () => {
    const rt = stage('runtime');
    const base = dockerfile.stages.find((s) => s.name === rt.from) ?? rt;
    expect(expandArgs(base.from)).toBe('node:20-bookworm-slim');
    expect(ops(rt, 'ARG')).toContain('APP');
    const user = ops(rt, 'USER').at(-1) ?? 'root';
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(ops(rt, 'STOPSIGNAL')).toEqual(['SIGTERM']);
    const cmd = ops(rt, 'CMD').at(-1) ?? '';
    expect(cmd).toMatch(/node --import tsx \\?"?apps\/\$\{?APP\}?\/src\/main\.ts/);
    const hc = ops(rt, 'HEALTHCHECK').join(' ');
    expect(hc).toContain('scripts/grpc-health-probe.mjs');
    expect(hc).toContain('/healthz');
    // dependencies: npm ci, then pruned to production
    const deps = stage('deps');
    const depsChain = [deps, ...dockerfile.stages.filter((s) => s.name === deps.from)];
    const runs = depsChain.flatMap((s) => ops(s, 'RUN')).join('\n');
    expect(runs).toContain('npm ci');
    expect(runs).toContain('npm prune --omit=dev');
    expect(ops(rt, 'COPY').some((c) => c.includes('--from=deps'))).toBe(true);
  });

  it('biometrics-gpu runs on a CUDA 11 + cuDNN 8 image with tfjs-node-gpu 4.22 and the gpu backend', () => {
    const gpu = stage('biometrics-gpu');
    expect(expandArgs(gpu.from)).toMatch(/^nvidia\/cuda:11\.\d+(\.\d+)?-cudnn8-runtime-/);
    const chain = dockerfile.stages.filter((s) => s.from === gpu.from || s.name === 'biometrics-gpu');
    const text = chain.flatMap((s) => s.instructions.map((i) => `${i.op} ${i.args}`)).join('\n');
    expect(
      expandArgs(
        text.replace(/\$\{TFJS_NODE_GPU_VERSION\}/g, dockerfile.globalArgs.TFJS_NODE_GPU_VERSION ?? ''),
      ),
    ).toContain('npm install --omit=dev --no-save "@tensorflow/tfjs-node-gpu@4.22.0"');
    expect(ops(gpu, 'ENV').join(' ')).toMatch(/BIOMETRICS_INFERENCE_BACKEND=gpu/);
    expect(ops(gpu, 'USER').at(-1) ?? 'root').not.toMatch(/^(root|0)(:|$)/);
    expect(ops(gpu, 'STOPSIGNAL')).toEqual(['SIGTERM']);
    expect(ops(gpu, 'HEALTHCHECK').join(' ')).toContain('scripts/grpc-health-probe.mjs');
    expect(ops(gpu, 'CMD').join(' ')).toContain('apps/biometrics/src/main.ts');
  });

  it('biometrics images carry ffmpeg (liveness clips are decoded with it), the other apps do not', () => {
    const runtime = ops(stage('runtime'), 'RUN').join('\n');
    expect(runtime).toMatch(
      /if \[ "\$\{APP\}" = biometrics \]; then .*apt-get install -y --no-install-recommends ffmpeg/,
    );
    expect(ops(stage('biometrics-gpu'), 'RUN').join('\n')).toContain(
      'install -y --no-install-recommends ffmpeg',
    );
  });

  it('.dockerignore keeps node_modules, .git and .env files out of the build context', () => {
    const lines = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const p of ['**/node_modules', '.git', '.env', '.env.*']) expect(lines).toContain(p);
  });
});

describe('scripts/grpc-health-probe.mjs', () => {
  it('uses grpc-js and grpc-health-check with a 3 s deadline and SERVING => exit 0', () => {
    const src = read('scripts/grpc-health-probe.mjs');
    expect(src).toContain("require('@grpc/grpc-js')");
    expect(src).toContain("require('grpc-health-check')");
    expect(src).toMatch(/: 3000/);
    expect(src).toContain("=== 'SERVING'");
  });
});

describe.each(BUILDS)('kustomize build %s', (b) => {
  const { docs } = built[b];
  const deployments = docs.filter((d) => d.kind === 'Deployment');

  it('renders the four apps in namespace guardian with the ConfigMap and without any Secret values', () => {
    expect(deployments.map(metaName).sort()).toEqual([...ALL_APPS].sort());
    for (const d of docs)
      if (d.kind !== 'Namespace')
        expect(at(d, 'metadata.namespace'), `${String(d.kind)}/${metaName(d)}`).toBe('guardian');
    expect(find(docs, 'Namespace', 'guardian')).toBeDefined();
    const cm = obj(find(docs, 'ConfigMap', 'guardian-config'), 'ConfigMap guardian-config');
    expect(at(cm, 'data.MONGO_URL')).toMatch(/^mongodb(\+srv)?:\/\//);
    expect(at(cm, 'data.NATS_URL')).toMatch(/^nats:\/\//);
    for (const v of Object.values(obj(cm.data, 'data')))
      expect(String(v)).not.toMatch(/:\/\/[^/\s:@]+:[^/\s@]+@/);
    // service-to-service addresses name a Service and its grpc port
    const addresses = Object.entries(obj(cm.data, 'data')).filter(([k]) => k.endsWith('_ADDRESS'));
    expect(addresses.length).toBeGreaterThanOrEqual(6);
    for (const [k, v] of addresses) {
      const [host, port] = String(v).split(':');
      const svc = find(docs, 'Service', host ?? '');
      expect(svc, `${k}: Service ${String(host)}`).toBeDefined();
      const grpc = optArr(at(svc, 'spec.ports'), 'ports').find((p) => at(p, 'name') === 'grpc');
      expect(String(at(grpc, 'port')), k).toBe(port);
    }
    expect(docs.filter((d) => d.kind === 'Secret')).toEqual([]);
  });

  it('every Deployment has readiness + liveness probes (native gRPC on the gRPC port for gRPC apps)', () => {
    for (const dep of deployments) {
      const name = metaName(dep);
      const grpcPort = containerPorts(dep).find((p) => p.name === 'grpc')?.containerPort;
      for (const c of containersOf(dep)) {
        for (const kind of ['readinessProbe', 'livenessProbe']) {
          const probe = obj(c[kind], `${name} ${kind}`);
          if ((GRPC_APPS as readonly string[]).includes(name)) {
            expect(grpcPort, `${name} has a port named grpc`).toBe(
              GRPC_PORTS[name as (typeof GRPC_APPS)[number]],
            );
            expect(at(probe, 'grpc.port'), `${name} ${kind}`).toBe(grpcPort);
          } else {
            // liveness: the process answers; readiness may also require its connections (/readyz)
            const paths = kind === 'livenessProbe' ? ['/healthz'] : ['/healthz', '/readyz'];
            expect(paths, `${name} ${kind}`).toContain(at(probe, 'httpGet.path'));
            const port = at(probe, 'httpGet.port');
            expect(
              containerPorts(dep).some((p) => p.name === port || p.containerPort === port),
              `${name} ${kind} port`,
            ).toBe(true);
          }
        }
      }
    }
    const bio = obj(find(docs, 'Deployment', 'biometrics'), 'biometrics');
    expect(at(containersOf(bio)[0], 'startupProbe.grpc.port')).toBe(GRPC_PORTS.biometrics);
  });

  it('every container has cpu and memory requests and limits', () => {
    for (const dep of deployments) {
      for (const c of containersOf(dep)) {
        for (const r of ['requests', 'limits']) {
          for (const res of ['cpu', 'memory']) {
            expect(
              at(c, `resources.${r}.${res}`),
              `${metaName(dep)}/${String(c.name)} ${r}.${res}`,
            ).toBeDefined();
          }
        }
      }
    }
  });

  it('pods are hardened, configured from guardian-config and their own Secret only, scraped off the public port and stop within 20 s', () => {
    for (const dep of deployments) {
      const name = metaName(dep);
      const pod = obj(at(dep, 'spec.template.spec'), name);
      expect(pod.terminationGracePeriodSeconds, name).toBe(20);
      expect(at(pod, 'securityContext.runAsNonRoot'), name).toBe(true);
      const ann = obj(at(dep, 'spec.template.metadata.annotations'), `${name} annotations`);
      expect(ann['prometheus.io/scrape'], name).toBe('true');
      expect(Number(ann['prometheus.io/port']), name).toBe(
        containerPorts(dep).find((p) => p.name === 'metrics')?.containerPort,
      );
      expect(ann['prometheus.io/port'], name).not.toBe(
        String(containerPorts(dep).find((p) => p.name === 'http')?.containerPort),
      );
      for (const c of containersOf(dep)) {
        expect(at(c, 'securityContext.allowPrivilegeEscalation'), name).toBe(false);
        expect(at(c, 'securityContext.readOnlyRootFilesystem'), name).toBe(true);
        expect(at(c, 'securityContext.capabilities.drop'), name).toEqual(['ALL']);
        const envFrom = optArr(c.envFrom, 'envFrom');
        expect(
          envFrom.some((e) => at(e, 'configMapRef.name') === 'guardian-config'),
          name,
        ).toBe(true);
        const secretRefs = envFrom.filter((e) => at(e, 'secretRef') !== undefined);
        expect(
          secretRefs.map((e) => at(e, 'secretRef.name')),
          name,
        ).toEqual([`guardian-${name}-secrets`]);
        expect(at(secretRefs[0], 'secretRef.optional') === true, `${name} Secret optional`).toBe(
          name === 'web',
        );
        for (const e of optArr(c.env, 'env'))
          expect(at(e, 'valueFrom.secretKeyRef.name') ?? `guardian-${name}-secrets`, name).toBe(
            `guardian-${name}-secrets`,
          );
      }
    }
  });

  it('NetworkPolicies deny by default and open each gRPC port only to the apps that call it', () => {
    const policies = docs.filter((d) => d.kind === 'NetworkPolicy');
    const deny = policies.find(
      (p) => Object.keys(obj(at(p, 'spec.podSelector'), 'podSelector')).length === 0,
    );
    expect(deny, 'a default-deny policy').toBeDefined();
    expect(at(deny, 'spec.policyTypes')).toEqual(['Ingress']);
    expect(optArr(at(deny, 'spec.ingress'), 'ingress')).toEqual([]);
    const cm = obj(find(docs, 'ConfigMap', 'guardian-config'), 'ConfigMap guardian-config');
    const callersOf = (target: string) =>
      ALL_APPS.filter((caller) =>
        Object.entries(obj(cm.data, 'data')).some(
          ([k, v]) =>
            k.startsWith(`${caller.toUpperCase()}_`) &&
            k.endsWith('_ADDRESS') &&
            String(v).startsWith(`${target}:`),
        ),
      ).sort();
    for (const dep of deployments) {
      const name = metaName(dep);
      const mine = policies.filter(
        (p) => selects(at(p, 'spec.podSelector.matchLabels'), podLabels(dep)) && p !== deny,
      );
      expect(mine.length, `${name} NetworkPolicy`).toBe(1);
      const rules = optArr(at(mine[0], 'spec.ingress'), 'ingress').map((r) => obj(r, 'rule'));
      const portsOf = (r: Obj) => optArr(r.ports, 'ports').map((p) => at(p, 'port'));
      // Every opened port is a named container port of the app.
      for (const r of rules)
        for (const port of portsOf(r))
          expect(
            containerPorts(dep).some((p) => p.name === port),
            `${name} port ${String(port)}`,
          ).toBe(true);
      const grpcRules = rules.filter((r) => portsOf(r).includes('grpc'));
      if ((GRPC_APPS as readonly string[]).includes(name)) {
        expect(grpcRules.length, `${name} grpc rule`).toBe(1);
        const from = optArr(grpcRules[0]!.from, 'from').map((f) => {
          expect(at(f, 'namespaceSelector'), `${name}: callers are pods of this namespace`).toBeUndefined();
          return String(obj(at(f, 'podSelector.matchLabels'), 'matchLabels')['app.kubernetes.io/name']);
        });
        expect(from.sort(), `${name} callers`).toEqual(callersOf(name));
      } else expect(grpcRules, name).toEqual([]);
      // Only web's http port is open to everyone.
      for (const r of rules)
        if (r.from === undefined)
          expect(portsOf(r), `${name} open to all`).toEqual(name === 'web' ? ['http'] : []);
      expect(
        rules.some((r) => portsOf(r).includes('metrics')),
        `${name} metrics`,
      ).toBe(true);
    }
  });

  it('every Deployment has a Service selecting its pods, with named grpc/metrics ports', () => {
    for (const dep of deployments) {
      const name = metaName(dep);
      const labels = podLabels(dep);
      expect(
        selects(at(dep, 'spec.selector.matchLabels'), labels),
        `${name} selector matches its template`,
      ).toBe(true);
      const svcs = docs.filter((d) => d.kind === 'Service' && selects(at(d, 'spec.selector'), labels));
      expect(svcs.length, `${name} Service`).toBeGreaterThanOrEqual(1);
      const ports = svcs.flatMap((s) => optArr(at(s, 'spec.ports'), 'ports').map((p) => obj(p, 'port')));
      const cports = containerPorts(dep);
      for (const p of ports) {
        const t = p.targetPort ?? p.port;
        expect(
          cports.some((c) => c.name === t || c.containerPort === t),
          `${name} Service targetPort ${String(t)}`,
        ).toBe(true);
      }
      if ((GRPC_APPS as readonly string[]).includes(name)) {
        expect(ports.find((p) => p.name === 'grpc')?.port, name).toBe(
          GRPC_PORTS[name as (typeof GRPC_APPS)[number]],
        );
        expect(
          ports.some((p) => p.name === 'metrics'),
          name,
        ).toBe(true);
      }
    }
  });

  it('every Deployment has an autoscaling/v2 CPU HPA and a PDB selecting its pods', () => {
    for (const dep of deployments) {
      const name = metaName(dep);
      const hpas = docs.filter(
        (d) =>
          d.kind === 'HorizontalPodAutoscaler' &&
          at(d, 'spec.scaleTargetRef.kind') === 'Deployment' &&
          at(d, 'spec.scaleTargetRef.name') === name,
      );
      expect(hpas.length, `${name} HPA`).toBe(1);
      const hpa = hpas[0] ?? {};
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(at(hpa, 'spec.scaleTargetRef.apiVersion')).toBe('apps/v1');
      const min = Number(at(hpa, 'spec.minReplicas') ?? 1);
      expect(min).toBeGreaterThanOrEqual(1);
      expect(Number(at(hpa, 'spec.maxReplicas'))).toBeGreaterThanOrEqual(min);
      expect(
        optArr(at(hpa, 'spec.metrics'), 'metrics').some((m) => at(m, 'resource.name') === 'cpu'),
        `${name} HPA on cpu`,
      ).toBe(true);
      const pdbs = docs.filter(
        (d) =>
          d.kind === 'PodDisruptionBudget' && selects(at(d, 'spec.selector.matchLabels'), podLabels(dep)),
      );
      expect(pdbs.length, `${name} PDB`).toBe(1);
      expect(pdbs[0]?.apiVersion).toBe('policy/v1');
    }
  });

  it('every patch of the overlay targets an existing resource', () => {
    for (const p of built[b].patchReport)
      expect(p.matched, `${p.kustomization}: ${p.patch}`).toBeGreaterThan(0);
    const kText = readFileSync(kustomizationFile(path.join(ROOT, b)), 'utf8');
    if (b !== 'k8s/base') expect(optArr(at(parse(kText), 'patches'), 'patches').length).toBeGreaterThan(0);
  });
});

describe('k8s overlays', () => {
  it('secret.example.yaml gives each app its own Secret with the secrets it gets in compose (web: its service credential only), and is not part of any kustomization', () => {
    const examples = loadYamlDocs(path.join(ROOT, 'k8s/base/secret.example.yaml')).map((d) =>
      obj(d, 'secret.example.yaml'),
    );
    expect(examples.map((e) => e.kind)).toEqual(ALL_APPS.map(() => 'Secret'));
    expect(examples.map((e) => at(e, 'metadata.name')).sort()).toEqual(
      ALL_APPS.map((a) => `guardian-${a}-secrets`).sort(),
    );
    const keysOf = (app: string) =>
      Object.keys(
        obj(
          examples.find((e) => at(e, 'metadata.name') === `guardian-${app}-secrets`)?.stringData ?? {},
          `${app} secret data`,
        ),
      );
    for (const [n, svc] of appServices) {
      const app = n.replace(/-gpu$/, '');
      for (const k of Object.keys(serviceEnv(svc, n)).filter((key) => SECRET_NAME.test(key))) {
        expect(keysOf(app), `${k} in guardian-${app}-secrets`).toContain(k);
        for (const other of ALL_APPS.filter((a) => a !== app))
          expect(keysOf(other), `${k} not in guardian-${other}-secrets`).not.toContain(k);
      }
    }
    // web holds no key, token or password.
    expect(keysOf('web').filter((k) => SECRET_NAME.test(k))).toEqual([]);
    // biometrics knows identity's credential (the same token, paired with its name).
    expect(keysOf('biometrics')).toContain('BIOMETRICS_SIGN_IN_CALLERS');
    expect(keysOf('identity')).toContain('IDENTITY_BIOMETRICS_SERVICE_TOKEN');
    const all = [
      kustomizationFile(path.join(ROOT, 'k8s/base')),
      ...ALL_APPS.map((a) => kustomizationFile(path.join(ROOT, 'k8s/base', a))),
    ];
    for (const f of all) expect(readFileSync(f, 'utf8')).not.toMatch(/^\s*-\s*secret\.example\.yaml/m);
  });

  it('the gpu overlay gives biometrics a GPU, a GPU nodeSelector + toleration, the -gpu image and the gpu backend', () => {
    const docs = built['k8s/overlays/gpu'].docs;
    const bio = obj(find(docs, 'Deployment', 'biometrics'), 'biometrics');
    const pod = obj(at(bio, 'spec.template.spec'), 'pod');
    const c = obj(
      containersOf(bio).find((x) => x.name === 'biometrics'),
      'biometrics container',
    );
    expect(Number(obj(at(c, 'resources.limits'), 'limits')['nvidia.com/gpu'])).toBe(1);
    expect(Object.keys(obj(pod.nodeSelector, 'nodeSelector')).some((k) => /nvidia|gpu/i.test(k))).toBe(true);
    expect(
      optArr(pod.tolerations, 'tolerations').some((t) => String(at(t, 'key')).startsWith('nvidia.com/gpu')),
    ).toBe(true);
    expect(str(c.image, 'image')).toMatch(/biometrics-gpu(:|$)/);
    const env = optArr(c.env, 'env').map((e) => obj(e, 'env'));
    expect(env.find((e) => e.name === 'BIOMETRICS_INFERENCE_BACKEND')?.value).toBe('gpu');
    // the other apps stay off the GPU nodes
    for (const app of ['identity', 'notifier', 'web']) {
      const d = obj(find(docs, 'Deployment', app), app);
      expect(at(d, 'spec.template.spec.nodeSelector'), app).toBeUndefined();
      expect(JSON.stringify(d)).not.toContain('nvidia.com/gpu');
    }
    // and the base has no GPU anywhere
    expect(JSON.stringify(built['k8s/base'].docs)).not.toContain('nvidia.com/gpu');
  });

  it('the dev overlay runs one replica of each app with dev images and smaller resources', () => {
    const dev = built['k8s/overlays/dev'].docs;
    const base = built['k8s/base'].docs;
    const bytes = (q: unknown) => {
      const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(String(q));
      const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[m?.[2] ?? ''] ?? 1;
      return Number(m?.[1] ?? NaN) * unit;
    };
    for (const app of ALL_APPS) {
      const d = obj(find(dev, 'Deployment', app), app);
      expect(at(d, 'spec.replicas'), app).toBe(1);
      const hpa = obj(find(dev, 'HorizontalPodAutoscaler', app), `${app} hpa`);
      expect(at(hpa, 'spec.minReplicas'), app).toBe(1);
      const c = containersOf(d)[0];
      expect(String(at(c, 'image')), app).toMatch(/:dev$/);
      const bc = containersOf(obj(find(base, 'Deployment', app), app))[0];
      expect(bytes(at(c, 'resources.limits.memory')), app).toBeLessThan(
        bytes(at(bc, 'resources.limits.memory')),
      );
    }
  });
});
