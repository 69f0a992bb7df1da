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
