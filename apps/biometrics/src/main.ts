import { runGrpcService } from '@guardian/app-kit';
import { loadBiometricsConfig } from './config.js';
import { setupBiometrics } from './app.js';

const config = loadBiometricsConfig();

runGrpcService({ name: 'biometrics', config, setup: (deps) => setupBiometrics(deps) });
