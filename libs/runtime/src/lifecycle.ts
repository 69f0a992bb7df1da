import type { Logger } from '@guardian/logger';

export type ShutdownStep = { name: string; run: () => Promise<void> | void };

/**
 * Runs an app: `start` wires everything and returns the shutdown steps in the order they must run
 * (stop taking work, drain, then close connections). SIGTERM/SIGINT run them once, bounded by
 * `timeoutMs`; the process then exits 0 (clean) or 1 (a step failed or the deadline passed).
 */
export function runService(options: {
  logger: Logger;
  timeoutMs: number;
  start: () => Promise<ShutdownStep[]>;
}): void {
  const { logger } = options;
  let stopping = false;
  const started = options.start();

  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: options.timeoutMs }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, options.timeoutMs);
    deadline.unref();
    // A signal during start-up waits for start to finish, so whatever it opened is closed too.
    const steps = await started.catch(() => [] as ShutdownStep[]);
    let failed = false;
    for (const step of steps) {
      try {
        await step.run();
        logger.debug({ step: step.name }, 'shutdown step done');
      } catch (error) {
        failed = true;
        logger.error({ err: error, step: step.name }, 'shutdown step failed');
      }
    }
    logger.info('stopped');
    process.exit(failed ? 1 : 0);
  };

  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

  started.catch((error: unknown) => {
    logger.fatal({ err: error }, 'start-up failed');
    // Give pino a tick to flush.
    setTimeout(() => process.exit(1), 50);
  });
}
