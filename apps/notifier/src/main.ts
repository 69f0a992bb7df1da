import { runGrpcService } from '@guardian/app-kit';

import { setupNotifier } from './app.js';
import { loadNotifierConfig } from './config.js';

runGrpcService({ name: 'notifier', config: loadNotifierConfig(), setup: (deps) => setupNotifier(deps) });
