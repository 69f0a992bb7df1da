import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A server process the test kit started; `stop` kills it and removes its temp dir. */
export interface ServerHandle {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface RestartableServer extends ServerHandle {
  /** Stops the process but keeps its data, so `start` brings the same server (and streams) back. */
  pause(): Promise<void>;
  start(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A free port for each Guardian app of a mesh started by hand (benchmarks, chaos). */
export async function meshPorts(): Promise<Record<'identity' | 'biometrics' | 'notifier' | 'web', number>> {
  return {
    identity: await freePort(),
    biometrics: await freePort(),
    notifier: await freePort(),
    web: await freePort(),
  };
}

/** web's environment in a mesh started by hand: on `ports.web`, the others' addresses, per-IP limits lifted. */
export async function webEnv(ports: Awaited<ReturnType<typeof meshPorts>>) {
  return {
    WEB_HOST: '127.0.0.1',
    WEB_HTTP_PORT: String(ports.web),
    METRICS_PORT: String(await freePort()),
    WEB_IDENTITY_ADDRESS: `127.0.0.1:${ports.identity}`,
    WEB_BIOMETRICS_ADDRESS: `127.0.0.1:${ports.biometrics}`,
    WEB_NOTIFIER_ADDRESS: `127.0.0.1:${ports.notifier}`,
    WEB_AUTH_RATE_LIMIT: '1000000000',
    WEB_UPLOAD_RATE_LIMIT: '1000000000',
    WEB_READ_RATE_LIMIT: '1000000000',
  };
}

export async function waitForPort(
  port: number,
  timeoutMs: number,
  isAlive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`process exited before listening on ${port}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

/** Looks for a binary on PATH, then where `go install` and Debian put it. */
export function findBinary(name: string): string | undefined {
  const goBin = process.env.GOBIN ?? join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin');
  const dirs = [...(process.env.PATH ?? '').split(delimiter), goBin, '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function launch(
  binary: string,
  args: string[],
  label: string,
): { child: ChildProcess; output: () => string } {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('error', (error) => {
    output += `\n${label}: ${error.message}`;
  });
  return { child, output: () => output };
}

function missing(name: string): Error {
  return new Error(
    `${name} not found on PATH or in $GOPATH/bin: run 'npm run provision' (scripts/provision.sh)`,
  );
}

/** A real `nats-server -js` on a free loopback port with its store in a temp dir. */
export async function startNats(): Promise<RestartableServer> {
  const binary = findBinary('nats-server');
  if (!binary) throw missing('nats-server');
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'guardian-nats-'));
  let current: ReturnType<typeof launch> | undefined;
  const start = async () => {
    current = launch(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], 'nats-server');
    const child = current.child;
    try {
      await waitForPort(port, 15_000, () => child.exitCode === null);
    } catch (error) {
      throw new Error(`nats-server did not start: ${(error as Error).message}\n${current.output()}`);
    }
  };
  await start();
  const pause = async () => {
    if (current) await stopProcess(current.child);
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    start,
    pause,
    stop: async () => {
      await pause();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A real MongoDB-wire server on a free loopback port: `mongod` when it is on PATH, otherwise
 * FerretDB 1.x with its SQLite backend (data in a temp dir).
 */
export async function startMongo(): Promise<RestartableServer & { kind: 'mongod' | 'ferretdb' }> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'guardian-mongo-'));
  const mongod = findBinary('mongod');
  const ferretdb = findBinary('ferretdb');
  if (!mongod && !ferretdb) throw missing('ferretdb (or mongod)');
  const kind: 'mongod' | 'ferretdb' = mongod ? 'mongod' : 'ferretdb';
  let current: ReturnType<typeof launch> | undefined;
  /** (Re)starts the server on the same port and data. */
  const start = async () => {
    current = mongod
      ? launch(
          mongod,
          ['--dbpath', dir, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet'],
          'mongod',
        )
      : launch(
          ferretdb!,
          [
            '--handler=sqlite',
            // No fsync per commit: MongoDB's default durability class (docs/conventions.md).
            `--sqlite-url=file:${dir}/?_pragma=synchronous(normal)`,
            `--listen-addr=127.0.0.1:${port}`,
            '--debug-addr=-',
            '--telemetry=disable',
            '--log-level=warn',
            '--state-dir=' + dir,
          ],
          'ferretdb',
        );
    const { child, output } = current;
    try {
      await waitForPort(port, 20_000, () => child.exitCode === null);
    } catch (error) {
      throw new Error(`${kind} did not start: ${(error as Error).message}\n${output()}`);
    }
  };
  await start();
  const pause = async () => {
    if (current) await stopProcess(current.child);
  };
  return {
    kind,
    // FerretDB 1.x applies an update as read-modify-write without isolation and may serve a stale
    // document on another pooled connection right after a write: one connection per client keeps it
    // consistent (MongoDB needs no such limit).
    url: kind === 'ferretdb' ? `mongodb://127.0.0.1:${port}/?maxPoolSize=1` : `mongodb://127.0.0.1:${port}/`,
    port,
    pause,
    start,
    stop: async () => {
      await pause();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
