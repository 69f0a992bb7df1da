import { runGrpcService } from '@guardian/app-kit';
import { KeyRing } from '@guardian/auth';
import { loadBiometricsConfig } from './config.js';
import { faceGrpc } from './grpc/face.grpc.js';

const config = loadBiometricsConfig();

runGrpcService({
  name: 'biometrics',
  config,
  setup: async ({ logger, grpcDurations }) => {
    const assertionKeys = await KeyRing.load({
      ...(config.BIOMETRICS_ASSERTION_KEYS ? { json: config.BIOMETRICS_ASSERTION_KEYS } : {}),
      devFile: config.BIOMETRICS_DEV_KEY_FILE,
      onDevKey: (file, created) =>
        logger.warn({ file, created }, 'using a development face-assertion key: set BIOMETRICS_ASSERTION_KEYS in production'),
    });
    return {
      protoFiles: ['guardian/biometrics/v1/face.proto'],
      services: [faceGrpc({ logger, durations: grpcDurations, assertionKeys })],
    };
  },
});
