/**
 * The biometrics service in-process for benchmarks: its own nats-server and FerretDB/mongod (test
 * kit), real gRPC on loopback, a generated gRPC client and an admin access token signed with a key
 * the service trusts as identity's. Face throttles are off (benchmarks repeat faces on purpose).
 */
import { randomBytes } from 'node:crypto';
import { KeyRing } from '@guardian/auth';
import { startService } from '@guardian/app-kit';
import { EventBus } from '@guardian/events';
import { createClient, keyRingIdentity } from '@guardian/grpc-kit';
import { createLogger } from '@guardian/logger';
import { closeMongo, connectMongo } from '@guardian/mongo';
import { FaceServiceClient, FaceServiceService } from '@guardian/proto/gen/guardian/biometrics/v1/face';
import { createMetricsRegistry } from '@guardian/runtime';
import { parseBiometricsConfig } from '../../apps/biometrics/src/config.js';
import { setupBiometrics } from '../../apps/biometrics/src/app.js';
import { startMongo, startNats } from '../../libs/testkit/src/servers.js';

export async function startBiometricsService(workers: number) {
  const [nats, mongoServer] = await Promise.all([startNats(), startMongo()]);
  const logger = createLogger('bench', { level: process.env.LOG_LEVEL ?? 'warn' });
  const config = parseBiometricsConfig({
    MONGO_URL: mongoServer.url,
    NATS_URL: nats.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    BIOMETRICS_INFERENCE_WORKERS: String(workers),
    BIOMETRICS_INFERENCE_QUEUE: '64',
    // The benchmarks enroll from photos (bench/liveness.ts measures liveness itself).
    BIOMETRICS_LIVENESS_ENROLL: 'optional',
    BIOMETRICS_TEMPLATE_KEY: randomBytes(32).toString('base64'),
    BIOMETRICS_FACE_USER_DELAY_AFTER: '1000000',
    BIOMETRICS_FACE_USER_LOCK_AFTER: '1000000',
    BIOMETRICS_FACE_IP_DELAY_AFTER: '1000000',
    BIOMETRICS_FACE_IP_LOCK_AFTER: '1000000',
    ...(process.env.BIOMETRICS_INFERENCE_BACKEND
      ? { BIOMETRICS_INFERENCE_BACKEND: process.env.BIOMETRICS_INFERENCE_BACKEND }
      : {}),
  });
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
  const bus = await EventBus.connect({
    url: config.NATS_URL,
    stream: config.EVENTS_STREAM,
    prefix: '',
    source: 'guardian/biometrics',
    logger,
  });
  const registry = createMetricsRegistry('biometrics');
  const identityKeys = await KeyRing.fromJwks([await KeyRing.generatePrivateJwk()]);
  // The bench's admin enrolls its probe users: identity would show them as awaiting their face.
  const accounts = { account: async () => ({ role: 'user', status: 'pending_enrollment' }) };
  const service = await startService({
    config,
    logger,
    mongo,
    bus,
    registry,
    grpc: { host: '127.0.0.1', port: 0 },
    setup: (deps) => setupBiometrics(deps, { identity: keyRingIdentity(identityKeys), accounts }),
  });
  const { grpc, parts } = service;
  const client = createClient(FaceServiceClient, FaceServiceService, `127.0.0.1:${grpc.port}`, {
    deadlineMs: 120_000,
  });
  const admin = await identityKeys.sign(
    { sid: 'bench', role: 'admin' },
    { issuer: 'guardian-identity', audience: 'guardian', subject: 'bench-admin', expiresInSec: 3600 },
  );
  return {
    client,
    admin,
    backend: parts.internals.pool.backend,
    async stop() {
      client.close();
      await service.stop(2_000);
      await bus.drain();
      await closeMongo(mongo);
      await Promise.all([nats.stop(), mongoServer.stop()]);
    },
  };
}
