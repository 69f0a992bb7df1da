import { createLogger } from '@guardian/logger';
import { runService } from '@guardian/runtime';
import { startWeb } from './app.js';
import { loadWebConfig } from './config.js';

const config = loadWebConfig();
const logger = createLogger('web', { level: config.LOG_LEVEL });

runService({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, start: () => startWeb(config, logger) });
