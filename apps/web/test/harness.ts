import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  INSPECTABLE,
  startApp,
  testServers,
  uniqueId,
  uniqueSubjectPrefix,
  type AppProcess,
} from '@guardian/testkit';

export const MASTER = {
  username: 'web-master',
  email: 'web-master@example.com',
  password: 'Web master passphrase 1!',
};

export interface Mesh {
  /** http://127.0.0.1:<port> of the BFF. */
  baseUrl: string;
  /** http://127.0.0.1:<port> of the BFF's metrics server (METRICS_PORT). */
  metricsUrl: string;
  addresses: { identity: string; biometrics: string; notifier: string };
  env: { natsUrl: string; mongoUrl: string; stream: string; prefix: string };
  processes: Map<string, AppProcess>;
  /** Each process's environment (to start another replica of it, or restart it). */
  appEnv: Map<string, Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * The whole mesh as processes, the way `npm start` runs it: identity (with a bootstrap master),
 * biometrics, notifier (outbox transport) and web, on the test kit's NATS and MongoDB-wire server,
 * with their own stream and subject prefix.
 */
export async function startMesh(
  options: {
    web?: Record<string, string>;
    /** Extra environment for biometrics. */
    biometrics?: Record<string, string>;
    withBiometrics?: boolean;
    /** Keep the liveness defaults (required for face sign-in and enrollment); otherwise photos will do. */
    liveness?: boolean;
    /** Open each process's inspector on loopback, for `collectGarbage` (memory measurements). */
    inspectable?: boolean;
  } = {},
): Promise<Mesh> {
  const { natsUrl, mongoUrl } = testServers();
  const dataDir = await mkdtemp(join(tmpdir(), 'guardian-web-'));
  const stream = uniqueId('WEB');
  const prefix = uniqueSubjectPrefix();
  const common = {
    ...(options.inspectable ? INSPECTABLE : {}),
    NATS_URL: natsUrl,
    MONGO_URL: mongoUrl,
    EVENTS_STREAM: stream,
    EVENTS_SUBJECT_PREFIX: prefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    GRPC_HOST: '127.0.0.1',
  };
  const names = ['identity', 'biometrics', 'notifier'] as const;
  const ports = Object.fromEntries(
    await Promise.all(
      names.map(async (name) => [name, { grpc: await freePort(), metrics: await freePort() }] as const),
    ),
  );
  const addresses = {
    identity: `127.0.0.1:${ports.identity!.grpc}`,
    biometrics: `127.0.0.1:${ports.biometrics!.grpc}`,
    notifier: `127.0.0.1:${ports.notifier!.grpc}`,
  };
  const processes = new Map<string, AppProcess>();
  const specific: Record<(typeof names)[number], Record<string, string>> = {
    identity: {
      IDENTITY_DEV_KEY_FILE: join(dataDir, 'identity-keys.json'),
      IDENTITY_BIOMETRICS_ADDRESS: addresses.biometrics,
      IDENTITY_BOOTSTRAP_MASTER_USERNAME: MASTER.username,
      IDENTITY_BOOTSTRAP_MASTER_EMAIL: MASTER.email,
      IDENTITY_BOOTSTRAP_MASTER_PASSWORD: MASTER.password,
      IDENTITY_ACCOUNT_DELAY_BASE_MS: '0',
      IDENTITY_IP_DELAY_BASE_MS: '0',
    },
    biometrics: {
      BIOMETRICS_DEV_KEY_FILE: join(dataDir, 'biometrics-keys.json'),
      BIOMETRICS_DEV_TEMPLATE_KEY_FILE: join(dataDir, 'biometrics-template.key'),
      BIOMETRICS_IDENTITY_ADDRESS: addresses.identity,
      BIOMETRICS_FACE_USER_DELAY_BASE_MS: '0',
      BIOMETRICS_FACE_IP_DELAY_BASE_MS: '0',
    },
    notifier: { NOTIFIER_IDENTITY_ADDRESS: addresses.identity },
  };
  // identity's credential toward biometrics (face sign-in), as a deployment configures it.
  const serviceToken = randomBytes(32).toString('hex');
  specific.biometrics.BIOMETRICS_SIGN_IN_CALLERS = `identity=${serviceToken}`;
  specific.identity.IDENTITY_BIOMETRICS_SERVICE_TOKEN = serviceToken;
  if (!options.liveness) {
    // Photo sign-in and enrollment, for the tests of everything else; test/liveness.test.ts and the
    // dashboard's camera test run the defaults.
    specific.identity.IDENTITY_LIVENESS_SIGN_IN = 'optional';
    specific.biometrics.BIOMETRICS_LIVENESS_ENROLL = 'optional';
  }
  Object.assign(specific.biometrics, options.biometrics);
  const appEnv = new Map<string, Record<string, string>>();
  const started = options.withBiometrics === false ? names.filter((n) => n !== 'biometrics') : names;
  for (const name of started) {
    const env = {
      ...common,
      MONGO_DB: uniqueId(`web_${name}_`),
      GRPC_PORT: String(ports[name]!.grpc),
      METRICS_PORT: String(ports[name]!.metrics),
      ...specific[name],
    };
    appEnv.set(name, env);
    processes.set(name, startApp(name, env));
  }
  const webPort = await freePort();
  const webMetricsPort = await freePort();
  processes.set(
    'web',
    startApp('web', {
      ...common,
      WEB_HOST: '127.0.0.1',
      WEB_HTTP_PORT: String(webPort),
      METRICS_PORT: String(webMetricsPort),
      WEB_IDENTITY_ADDRESS: addresses.identity,
      WEB_BIOMETRICS_ADDRESS: addresses.biometrics,
      WEB_NOTIFIER_ADDRESS: addresses.notifier,
      ...options.web,
    }),
  );
  const stop = async () => {
    await Promise.all([...processes.values()].map((p) => p.stop('SIGTERM', 5_000)));
  };
  try {
    await Promise.all(
      [...processes.entries()].map(([name, p]) => p.waitForLog(new RegExp(`"msg":"${name} ready"`), 150_000)),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    baseUrl: `http://127.0.0.1:${webPort}`,
    metricsUrl: `http://127.0.0.1:${webMetricsPort}`,
    addresses,
    env: { natsUrl, mongoUrl, stream, prefix },
    processes,
    appEnv,
    stop,
  };
}

let counter = 0;
/** A fresh, valid registration. */
export function newUser() {
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}${Math.floor(Math.random() * 1e4)}`;
  return {
    username: `web_${n}`,
    email: `web.${n}@example.com`,
    password: `Long unusual passphrase ${n}`,
    fullName: `Web User ${n}`,
  };
}
