import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHealth, createClient } from '@guardian/grpc-kit';
import { AuthServiceClient, AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';
import { freePort, startApp, testServers, uniqueId, uniqueSubjectPrefix } from '@guardian/testkit';
import { describe, expect, it } from 'vitest';

describe('identity process (src/main.ts)', () => {
  it('boots from the environment, reports SERVING, bootstraps a master once, serves the API and stops cleanly on SIGTERM', async () => {
    const { natsUrl, mongoUrl } = testServers();
    const grpcPort = await freePort();
    const env = {
      LOG_LEVEL: 'info',
      MONGO_URL: mongoUrl,
      MONGO_DB: uniqueId('identity_main_'),
      NATS_URL: natsUrl,
      EVENTS_STREAM: uniqueId('IDM'),
      EVENTS_SUBJECT_PREFIX: uniqueSubjectPrefix(),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      METRICS_PORT: String(await freePort()),
      IDENTITY_DEV_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'identity-main-')), 'keys.json'),
      IDENTITY_BOOTSTRAP_PASSWORD_FILE: join(mkdtempSync(join(tmpdir(), 'identity-main-')), 'otp.txt'),
    };
    const app = startApp('identity', env);
    try {
      await app.waitForLog(/identity ready/);
      // Shown once on the console (stderr), and in the file.
      const password = /one-time password: (\S+)/.exec(app.output())?.[1];
      expect(password).toBeDefined();
      expect(readFileSync(env.IDENTITY_BOOTSTRAP_PASSWORD_FILE, 'utf8')).toContain(password!);
      expect(await checkHealth(`127.0.0.1:${grpcPort}`, 'guardian.identity.v1.AuthService')).toBe('SERVING');
      const auth = createClient(AuthServiceClient, AuthServiceService, `127.0.0.1:${grpcPort}`, {
        deadlineMs: 15_000,
      });
      const { user } = await auth.loginWithNewPassword({
        identifier: 'master',
        password: password!,
        newPassword: 'The first master chose this 1',
        client: { ip: '192.0.2.99', userAgent: 'main-test' },
      });
      expect(user!.role).toBe('master');
      auth.close();
      expect(await app.stop('SIGTERM')).toBe(0);
    } finally {
      await app.stop('SIGKILL').catch(() => undefined);
    }
    // A second start on the same database finds the master and creates none.
    const again = startApp('identity', {
      ...env,
      GRPC_PORT: String(await freePort()),
      METRICS_PORT: String(await freePort()),
    });
    try {
      await again.waitForLog(/identity ready/);
      expect(again.output()).not.toContain('bootstrap master account created');
      expect(await again.stop('SIGTERM')).toBe(0);
    } finally {
      await again.stop('SIGKILL').catch(() => undefined);
    }
  });
});
