import { runGrpcService } from '@guardian/app-kit';
import { loadConfigOrExit } from '@guardian/config';
import { setupIdentity } from './app.js';
import { identitySchema } from './config.js';

runGrpcService({
  name: 'identity',
  config: loadConfigOrExit('identity', identitySchema),
  setup: setupIdentity,
});
