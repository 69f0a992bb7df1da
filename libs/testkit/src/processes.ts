import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface AppProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves when the process has written a line matching `pattern` (JSON logs are plain text here). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Starts an app the way a user does (`node --import tsx apps/<app>/src/main.ts`) with `env`. */
export function startApp(app: string, env: Record<string, string>): AppProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', `apps/${app}/src/main.ts`], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const wake of waiters) wake();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  void exited.then(() => process.off('exit', kill));

  return {
    child,
    exited,
    output: () => output,
    waitForLog: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) {
            cleanup();
            resolve(match[0]);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `${app} did not log ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-3_000)}`,
            ),
          );
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`${app} exited before logging ${pattern}; output:\n${output.slice(-3_000)}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      }),
    stop: async (signal = 'SIGTERM', timeoutMs = 15_000) => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Environment that opens a process's inspector on a free loopback port (tests only), so that
 * `collectGarbage` can reach it.
 */
export const INSPECTABLE = { NODE_OPTIONS: '--inspect=127.0.0.1:0' } as const;

/**
 * Runs a full garbage collection in a process started with `INSPECTABLE` (the DevTools protocol's
 * HeapProfiler.collectGarbage), so that a heap measured right after is what the process keeps,
 * not garbage an idle process has had no reason to collect.
 */
export async function collectGarbage(app: AppProcess, timeoutMs = 30_000): Promise<void> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(app.output())?.[1];
  if (!url) throw new Error('the process was not started with an inspector (INSPECTABLE)');
  const socket = new WebSocket(url);
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no garbage collection within ${timeoutMs} ms`)), timeoutMs);
      socket.once('error', reject);
      socket.once('open', () =>
        socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })),
      );
      socket.on('message', (data) => {
        const reply = JSON.parse(String(data)) as { id?: number; error?: { message: string } };
        if (reply.id !== 1) return;
        if (reply.error) reject(new Error(reply.error.message));
        else resolve();
      });
    });
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}
