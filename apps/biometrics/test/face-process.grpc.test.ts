/**
 * biometrics started the way an operator starts it (`node --import tsx apps/biometrics/src/main.ts`)
 * against the test servers: boots, logs its inference backend and the development-key warnings,
 * serves health, status, JWKS and metrics, and stops cleanly on SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHealth, createClient } from '@guardian/grpc-kit';
import { FaceServiceClient, FaceServiceService } from '@guardian/proto/gen/guardian/biometrics/v1/face';
import {
  freePort,
  startApp,
  testServers,
  uniqueId,
  uniqueSubjectPrefix,
  type AppProcess,
} from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let app: AppProcess;
let dir: string;
let grpcPort: number;
let metricsPort: number;

beforeAll(async () => {
  const { natsUrl, mongoUrl } = testServers();
  dir = await mkdtemp(join(tmpdir(), 'biometrics-process-'));
  [grpcPort, metricsPort] = [await freePort(), await freePort()];
  app = startApp('biometrics', {
    LOG_LEVEL: 'info',
    MONGO_URL: mongoUrl,
    NATS_URL: natsUrl,
    MONGO_DB: uniqueId('bio'),
    EVENTS_STREAM: uniqueId('S'),
    EVENTS_SUBJECT_PREFIX: uniqueSubjectPrefix(),
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(grpcPort),
    METRICS_PORT: String(metricsPort),
    BIOMETRICS_INFERENCE_WORKERS: '1',
    BIOMETRICS_INFERENCE_BACKEND: 'wasm',
    BIOMETRICS_DEV_KEY_FILE: join(dir, 'assertion-keys.json'),
    BIOMETRICS_DEV_TEMPLATE_KEY_FILE: join(dir, 'template-key.json'),
  });
  await app.waitForLog(/"msg":"biometrics ready"/, 240_000);
}, 300_000);

afterAll(async () => {
  if (app) await app.stop('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('biometrics process', () => {
  describe('start-up and shutdown', () => {
    it('reports its backend, serves health, status, keys and metrics, and stops cleanly on SIGTERM', async () => {
      expect(app.output()).toContain('inference backend: wasm');
      expect(app.output()).toContain('using a development template encryption key');
      expect(app.output()).toContain('using a development face-assertion key');

      expect(await checkHealth(`127.0.0.1:${grpcPort}`)).toBe('SERVING');
      expect(await checkHealth(`127.0.0.1:${grpcPort}`, 'guardian.biometrics.v1.FaceService')).toBe(
        'SERVING',
      );
      const client = createClient(FaceServiceClient, FaceServiceService, `127.0.0.1:${grpcPort}`);
      try {
        expect(await client.getStatus({})).toMatchObject({
          inferenceBackend: 'wasm',
          inferenceWorkers: 1,
          indexedTemplates: 0,
        });
        expect((await client.getJwks({})).jwks?.keys).toHaveLength(1);
      } finally {
        client.close();
      }
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/biometrics_inference_backend\{[^}]*backend="wasm"[^}]*\} 1/);

      expect(await app.stop('SIGTERM', 30_000)).toBe(0);
    });
  });
});
