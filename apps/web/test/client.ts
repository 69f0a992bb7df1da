import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink, TRPCClientError } from '@trpc/client';
import { EventSource } from 'eventsource';
import type { AppRouter } from '../src/router/root.js';

/** A typed tRPC client over HTTP (queries/mutations) and SSE (subscriptions), as an app would use. */
export function trpcClient(baseUrl: string, auth: { token?: string } = {}) {
  const headers = (): Record<string, string> => (auth.token ? { authorization: `Bearer ${auth.token}` } : {});
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: `${baseUrl}/trpc`,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input: string | URL | Request, init?: RequestInit) =>
              fetch(input, {
                ...init,
                headers: { ...(init?.headers as Record<string, string>), ...headers() },
              }),
          }),
        }),
        false: httpLink({ url: `${baseUrl}/trpc`, headers }),
      }),
    ],
  });
}

/** The error of a call that must fail (its HTTP status and the service's reason). */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ httpStatus: number; reason: string; code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = error.data as { httpStatus: number; reason: string; code: string };
      return { httpStatus: data.httpStatus, reason: data.reason, code: data.code, message: error.message };
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}

const run = promisify(execFile);

/** Runs real curl (as the documents' users do); the HTTP status and the parsed JSON body. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function curl(args: string[]): Promise<{ status: number; body: any }> {
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const cut = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, cut);
  return { status: Number(stdout.slice(cut + 1)), body: text ? JSON.parse(text) : undefined };
}
