import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '@guardian/logger';
import { inject } from 'vitest';

/** The servers the global setup started (or NATS_URL / MONGO_URL). */
export function testServers(): { natsUrl: string; mongoUrl: string } {
  return { natsUrl: inject('natsUrl'), mongoUrl: inject('mongoUrl') };
}

/** A short random id for names a test owns (database, stream, durable). */
export const uniqueId = (prefix = 't'): string => `${prefix}${randomBytes(5).toString('hex')}`;

/** A subject prefix of its own, so a test sees only the events it caused. */
export const uniqueSubjectPrefix = (): string => `${uniqueId()}.`;

/** A logger for tests: silent unless TEST_LOG_LEVEL is set. */
export const testLogger = (name = 'test'): Logger =>
  createLogger(name, { level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  throw new Error(
    `timed out waiting for ${options.what ?? 'condition'}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}
