import type { Logger } from '@guardian/logger';
import mongoose, { type Connection } from 'mongoose';

export type { Connection };

/**
 * Opens the service's own database (one per service) and retries with exponential backoff until
 * `maxWaitMs` passes, so a service started before MongoDB waits instead of crash-looping.
 */
export async function connectMongo(options: {
  url: string;
  dbName: string;
  logger: Logger;
  maxWaitMs?: number;
  signal?: AbortSignal;
}): Promise<Connection> {
  const deadline = Date.now() + (options.maxWaitMs ?? 60_000);
  let delay = 200;
  for (let attempt = 1; ; attempt++) {
    const connection = mongoose.createConnection(options.url, {
      dbName: options.dbName,
      serverSelectionTimeoutMS: 5_000,
      autoIndex: true,
      autoCreate: true,
    });
    try {
      await connection.asPromise();
      options.logger.info({ db: options.dbName, attempt }, 'connected to MongoDB');
      return connection;
    } catch (error) {
      await connection.close(true).catch(() => undefined);
      if (Date.now() + delay > deadline || options.signal?.aborted) throw error;
      options.logger.warn(
        { error: (error as Error).message, attempt, retryInMs: delay },
        'MongoDB not reachable yet; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}

/** Waits for every model's indexes (unique constraints must exist before the first write). */
export async function ensureIndexes(connection: Connection): Promise<void> {
  await Promise.all(Object.values(connection.models).map((model) => model.init()));
}

export async function closeMongo(connection: Connection): Promise<void> {
  await connection.close();
}

export { InsertBatcher, type InsertManyTarget, type InsertOutcome } from './insert-batcher.js';
export { isDuplicateKey } from './errors.js';
export { DocumentLocks } from './document-locks.js';
export {
  ThrottleWindows,
  throttleWindowModel,
  type ThrottleWindowModel,
  type WindowEntry,
  type WindowCheck,
  type AttemptReservation,
  type AttemptRefusal,
} from './throttle-windows.js';
