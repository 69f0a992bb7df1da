import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHealth, createClient } from '@guardian/grpc-kit';
import { isDomainError } from '@guardian/domain';
import { FaceServiceClient, FaceServiceService } from '@guardian/proto/gen/guardian/biometrics/v1/face';
import { AuthServiceClient, AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';
import { UserServiceClient, UserServiceService } from '@guardian/proto/gen/guardian/identity/v1/user';
import {
  freePort,
  startApp,
  testServers,
  uniqueId,
  uniqueSubjectPrefix,
  type AppProcess,
} from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The walking skeleton: the four apps started as real processes (as `npm start` does) against the
 * test kit's NATS and FerretDB, checked over real gRPC/HTTP, and stopped with SIGTERM.
 */
const MASTER = {
  username: 'skeleton-master',
  email: 'master@skeleton.test',
  password: 'Skeleton master passphrase 1',
};

describe('walking skeleton', () => {
  const grpcApps = ['identity', 'biometrics', 'notifier'] as const;
  const apps = new Map<
    string,
    { process: AppProcess; grpcPort?: number; httpPort: number; metricsPort?: number }
  >();

  beforeAll(async () => {
    const { natsUrl, mongoUrl } = testServers();
    const dataDir = await mkdtemp(join(tmpdir(), 'guardian-skeleton-'));
    const common = {
      NATS_URL: natsUrl,
      MONGO_URL: mongoUrl,
      EVENTS_STREAM: uniqueId('SKEL'),
      EVENTS_SUBJECT_PREFIX: uniqueSubjectPrefix(),
      LOG_LEVEL: 'info',
      GRPC_HOST: '127.0.0.1',
    };
    const ports = Object.fromEntries(
      await Promise.all(
        grpcApps.map(async (app) => [app, { grpc: await freePort(), metrics: await freePort() }] as const),
      ),
    );
    for (const app of grpcApps) {
      const process = startApp(app, {
        ...common,
        MONGO_DB: uniqueId(`skel_${app}_`),
        GRPC_PORT: String(ports[app]!.grpc),
        METRICS_PORT: String(ports[app]!.metrics),
        IDENTITY_DEV_KEY_FILE: join(dataDir, 'identity-keys.json'),
        IDENTITY_BIOMETRICS_ADDRESS: `127.0.0.1:${ports.biometrics!.grpc}`,
        IDENTITY_BOOTSTRAP_MASTER_USERNAME: MASTER.username,
        IDENTITY_BOOTSTRAP_MASTER_EMAIL: MASTER.email,
        IDENTITY_BOOTSTRAP_MASTER_PASSWORD: MASTER.password,
        BIOMETRICS_IDENTITY_ADDRESS: `127.0.0.1:${ports.identity!.grpc}`,
        BIOMETRICS_DEV_KEY_FILE: join(dataDir, 'biometrics-keys.json'),
        BIOMETRICS_DEV_TEMPLATE_KEY_FILE: join(dataDir, 'biometrics-template.key'),
        NOTIFIER_IDENTITY_ADDRESS: `127.0.0.1:${ports.identity!.grpc}`,
      });
      apps.set(app, { process, grpcPort: ports[app]!.grpc, httpPort: ports[app]!.metrics });
    }
    const webPort = await freePort();
    const webMetricsPort = await freePort();
    apps.set('web', {
      process: startApp('web', {
        ...common,
        WEB_HOST: '127.0.0.1',
        WEB_HTTP_PORT: String(webPort),
        METRICS_PORT: String(webMetricsPort),
        WEB_IDENTITY_ADDRESS: `127.0.0.1:${ports.identity!.grpc}`,
        WEB_BIOMETRICS_ADDRESS: `127.0.0.1:${ports.biometrics!.grpc}`,
        WEB_NOTIFIER_ADDRESS: `127.0.0.1:${ports.notifier!.grpc}`,
      }),
      httpPort: webPort,
      metricsPort: webMetricsPort,
    });
    await Promise.all(
      [...apps.entries()].map(([name, app]) =>
        app.process.waitForLog(new RegExp(`"msg":"${name} ready"`), 120_000),
      ),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...apps.values()].map((app) => app.process.stop('SIGKILL')));
  });

  it.each(grpcApps)('%s answers grpc.health.v1 SERVING', async (name) => {
    expect(await checkHealth(`127.0.0.1:${apps.get(name)!.grpcPort}`)).toBe('SERVING');
  });

  it.each(grpcApps)('%s exposes Prometheus metrics including gRPC handling times', async (name) => {
    const response = await fetch(`http://127.0.0.1:${apps.get(name)!.httpPort}/metrics`);
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toContain(`service="${name}"`);
    expect(body).toContain('grpc_server_handling_seconds');
  });

  it("refuses an admin's face on the master's account: biometrics reads the target's role from identity", async () => {
    const identity = `127.0.0.1:${apps.get('identity')!.grpcPort}`;
    const auth = createClient(AuthServiceClient, AuthServiceService, identity);
    const users = createClient(UserServiceClient, UserServiceService, identity);
    const faces = createClient(
      FaceServiceClient,
      FaceServiceService,
      `127.0.0.1:${apps.get('biometrics')!.grpcPort}`,
    );
    const client = { ip: '192.0.2.50', userAgent: 'skeleton' };
    try {
      const master = await auth.login({ identifier: MASTER.username, password: MASTER.password, client });
      const admin = {
        username: uniqueId('adm'),
        email: `${uniqueId('a')}@skeleton.test`,
        password: 'Admin passphrase for skeleton 1',
      };
      await users.createUser(
        { ...admin, fullName: 'Skeleton Admin', locale: 'en', role: 'admin' },
        { accessToken: master.tokens!.accessToken },
      );
      const adminLogin = await auth.login({ identifier: admin.username, password: admin.password, client });
      const refused = await faces
        .enroll(
          {
            userId: master.user!.id,
            images: [{ source: { $case: 'data', value: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) } }],
            client,
            largestFace: false,
          },
          { accessToken: adminLogin.tokens!.accessToken },
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isDomainError(refused) && refused.reason).toBe('ENROLLMENT_NOT_ALLOWED');
    } finally {
      auth.close();
      users.close();
      faces.close();
    }
  });

  it('web answers /healthz and /readyz, and /metrics only on its metrics port', async () => {
    const base = `http://127.0.0.1:${apps.get('web')!.httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
    const metrics = `http://127.0.0.1:${apps.get('web')!.metricsPort}/metrics`;
    expect(await (await fetch(metrics)).text()).toContain('service="web"');
    const publicMetrics = await fetch(`${base}/metrics`);
    // The public port answers its page fallback (the dashboard), never the metrics.
    const publicBody = await publicMetrics.text();
    expect(publicBody).not.toContain('service="web"');
    expect(publicBody).not.toContain('web_http_request_duration_seconds');
    const ping = await (await fetch(`${base}/trpc/system.ping`)).json();
    expect(ping).toMatchObject({ result: { data: { status: 'ok' } } });
  });

  it('web refuses the system status to anonymous callers', async () => {
    const response = await fetch(`http://127.0.0.1:${apps.get('web')!.httpPort}/trpc/system.status`);
    expect(response.status).toBe(401);
  });

  it.each(['identity', 'biometrics', 'notifier', 'web'])(
    '%s stops cleanly on SIGTERM with exit code 0',
    async (name) => {
      const app = apps.get(name)!;
      const started = Date.now();
      const code = await app.process.stop('SIGTERM', 12_000);
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(app.process.output()).toContain('"msg":"stopped"');
    },
  );
});

describe('configuration errors', () => {
  it.each(['identity', 'biometrics', 'notifier'])(
    '%s refuses to start without MONGO_URL and names it',
    async (name) => {
      const app = startApp(name, { NATS_URL: 'nats://127.0.0.1:4222' });
      expect(await app.exited).toBe(1);
      expect(app.output()).toMatch(/MONGO_URL is required/);
    },
  );

  it('web (no database of its own) refuses to start without NATS_URL and names it', async () => {
    const app = startApp('web', {});
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/NATS_URL is required/);
  });

  it('a malformed variable is named with what is wrong', async () => {
    const app = startApp('biometrics', {
      MONGO_URL: 'mongodb://127.0.0.1:1/',
      NATS_URL: 'nats://127.0.0.1:4222',
      GRPC_PORT: 'ninety',
    });
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/GRPC_PORT/);
  });
});
