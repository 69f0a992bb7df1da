import { replicatedCache } from '@guardian/events';
import { CachedJwks, KeyRing } from '@guardian/auth';
import type { ServiceDeps, ServiceParts } from '@guardian/app-kit';
import { createClient, grpcJwksSource, implement } from '@guardian/grpc-kit';
import { DocumentLocks, ThrottleWindows, ensureIndexes, throttleWindowModel } from '@guardian/mongo';
import { FaceServiceClient, FaceServiceService } from '@guardian/proto/gen/guardian/biometrics/v1/face';
import { AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';
import { UserServiceService } from '@guardian/proto/gen/guardian/identity/v1/user';
import { VerificationServiceService } from '@guardian/proto/gen/guardian/identity/v1/verification';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { throttlePolicies, type IdentityConfig } from './config.js';
import { handleBiometricEvent } from './consumers/biometric.consumer.js';
import { authHandlers } from './grpc/auth.grpc.js';
import { userHandlers } from './grpc/user.grpc.js';
import { verificationHandlers } from './grpc/verification.grpc.js';
import { AuthAttemptRepository, authAttemptModel } from './repositories/auth-attempt.repository.js';
import { biometricsFaceMatcher } from './repositories/face-matcher.js';
import { LivenessSessions } from './services/liveness.service.js';
import { DocumentRepository, documentModel } from './repositories/document.repository.js';
import { Sequences } from './repositories/sequence.repository.js';
import { SessionRepository, sessionModel } from './repositories/session.repository.js';
import { UsedAssertionRepository } from './repositories/used-assertion.repository.js';
import { UserRepository, userModel, type UserRecord } from './repositories/user.repository.js';
import { AccessTokens } from './services/access-tokens.js';
import { AccountService } from './services/accounts.service.js';
import { CredentialService } from './services/credentials.service.js';
import { SessionService } from './services/sessions.service.js';
import { SignInService } from './services/sign-in.service.js';
import { BiometricSummaryService } from './services/biometric.service.js';
import { eventFactory } from './services/events.js';
import { Argon2idHasher } from './services/password-hasher.js';
import { SessionLivenessCache } from './services/session-cache.js';
import { UserService } from './services/user.service.js';
import { VerificationService } from './services/verification.service.js';

export const IDENTITY_PROTO_FILES = [
  'guardian/identity/v1/auth.proto',
  'guardian/identity/v1/user.proto',
  'guardian/identity/v1/verification.proto',
];

async function loadKeyRing(config: IdentityConfig, deps: ServiceDeps<IdentityConfig>): Promise<KeyRing> {
  const json =
    config.IDENTITY_SIGNING_KEYS ??
    (config.IDENTITY_SIGNING_KEYS_FILE
      ? await readFile(config.IDENTITY_SIGNING_KEYS_FILE, 'utf8')
      : undefined);
  return KeyRing.load({
    ...(json ? { json } : {}),
    devFile: config.IDENTITY_DEV_KEY_FILE,
    onDevKey: (file, created) =>
      deps.logger.warn(
        { file, created },
        'using a development signing key: set IDENTITY_SIGNING_KEYS in production',
      ),
  });
}

/**
 * Shows the first master's generated password once on the console (stderr, apart from the log
 * lines a restart rewrites) and keeps it in a file only the service's user can read (0600), so it
 * survives a lost terminal; the first sign-in must replace it, after which both are useless.
 */
async function handOverOneTimePassword(
  username: string,
  password: string,
  file: string,
  deps: ServiceDeps<IdentityConfig>,
): Promise<void> {
  let kept = false;
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, `username: ${username}\none-time password: ${password}\n`, {
      mode: 0o600,
      flag: 'w',
    });
    kept = true;
  } catch (err) {
    deps.logger.warn({ err, file }, 'could not keep the one-time master password in a file');
  }
  process.stderr.write(
    `\nGuardian: first master account "${username}", one-time password: ${password}\n` +
      `  Sign in with it and choose a new password (it opens no session until you do).\n` +
      (kept ? `  Also kept in ${file} (mode 0600).\n\n` : '\n'),
  );
  deps.logger.warn(
    { username, file: kept ? file : undefined },
    'bootstrap master account created with a one-time password (printed on stderr once; must be changed at first sign-in)',
  );
}

/**
 * Identity's wiring (config -> repositories -> services -> transports), run by app-kit's
 * runGrpcService in main.ts and by the integration tests' in-process boot.
 */
export async function setupIdentity(
  deps: ServiceDeps<IdentityConfig>,
): Promise<ServiceParts & { keyRing: KeyRing; users: UserService }> {
  const { config, logger, mongo, bus, announce } = deps;
  const keyRing = await loadKeyRing(config, deps);

  const locks = new DocumentLocks();
  // Per-replica read caches; every write is announced so the other replicas drop their copy.
  const userCache = replicatedCache<UserRecord>(bus, 'identity.users', config.IDENTITY_USER_CACHE_TTL_MS);
  const sessionCache = replicatedCache<true>(bus, 'identity.sessions', config.IDENTITY_SESSION_CACHE_TTL_MS);
  const users = new UserRepository(userModel(mongo), locks, userCache, announce, new Sequences(mongo));
  const sessions = new SessionRepository(sessionModel(mongo), locks, announce);
  const throttle = throttlePolicies(config);
  const attempts = new AuthAttemptRepository(
    authAttemptModel(mongo),
    new ThrottleWindows(
      throttleWindowModel(mongo),
      // The check reads at most lockAfter + 32 entries (see SignInService.accountLimit / ipLimit).
      Math.max(throttle.account.lockAfter, throttle.ip.lockAfter) + 32,
      locks,
    ),
    announce,
  );
  const documents = new DocumentRepository(documentModel(mongo), mongo, locks, announce);
  const usedAssertions = new UsedAssertionRepository(mongo);

  const faceClient = createClient(FaceServiceClient, FaceServiceService, config.IDENTITY_BIOMETRICS_ADDRESS, {
    idempotent: ['getJwks'],
    deadlineMs: 3_000,
  });
  const faceJwks = new CachedJwks(grpcJwksSource(() => faceClient.getJwks({})));
  // Face sign-in decisions: inference can queue, so its own deadline; identity's credential on it.
  const faceSignIn = createClient(FaceServiceClient, FaceServiceService, config.IDENTITY_BIOMETRICS_ADDRESS, {
    deadlineMs: config.IDENTITY_FACE_DEADLINE_MS,
    ...(config.IDENTITY_BIOMETRICS_SERVICE_TOKEN
      ? { serviceToken: config.IDENTITY_BIOMETRICS_SERVICE_TOKEN }
      : {}),
  });

  const events = eventFactory('guardian/identity');
  const hasher = new Argon2idHasher();
  const tokens = new AccessTokens(keyRing, config.IDENTITY_ACCESS_TOKEN_TTL_SEC);
  const refresh = {
    idleTtlMs: config.IDENTITY_REFRESH_IDLE_TTL_MS,
    absoluteTtlMs: config.IDENTITY_REFRESH_ABSOLUTE_TTL_MS,
  };
  const accounts = new AccountService({ users, hasher, tokens, events });
  const sessionControl = new SessionService({
    users,
    sessions,
    tokens,
    events,
    refresh,
    liveSessions: new SessionLivenessCache(sessionCache),
  });
  const credentials = new CredentialService({ users, sessions, sessionControl, hasher, events });
  const ownJwks = new CachedJwks(async () => keyRing.publicJwks());
  const liveness = new LivenessSessions({ keys: keyRing, ownJwks, ttlSec: config.IDENTITY_LIVENESS_TTL_SEC });
  const signIn = new SignInService({
    users,
    faces: biometricsFaceMatcher(faceSignIn),
    liveness,
    sessions,
    attempts,
    hasher,
    tokens,
    faceJwks,
    claimJti: usedAssertions.claim,
    events,
    credentials,
    policies: {
      ...throttle,
      refresh,
      faceAssertion: {
        issuer: config.IDENTITY_FACE_ASSERTION_ISSUER,
        audience: config.IDENTITY_FACE_ASSERTION_AUDIENCE,
        maxLifetimeSec: config.IDENTITY_FACE_ASSERTION_MAX_LIFETIME_SEC,
        maxAgeSec: config.IDENTITY_FACE_ASSERTION_MAX_LIFETIME_SEC,
      },
      faceLoginRoles: config.IDENTITY_FACE_LOGIN_ROLES,
      livenessSignIn: config.IDENTITY_LIVENESS_SIGN_IN,
    },
  });
  const userService = new UserService(users, documents, accounts, sessionControl, hasher, events);
  const verification = new VerificationService(users, documents, events, config.IDENTITY_DOCUMENT_MAX_BYTES);
  const biometric = new BiometricSummaryService(users, events);

  await ensureIndexes(mongo);
  // Accounts from before account numbers existed get theirs (once; a no-op afterwards).
  const numbered = await users.numberUnnumbered();
  if (numbered > 0) logger.info({ numbered }, 'numbered the accounts created before account numbers');
  const master = await userService.bootstrapMaster(
    {
      username: config.IDENTITY_BOOTSTRAP_MASTER_USERNAME,
      email: config.IDENTITY_BOOTSTRAP_MASTER_EMAIL,
      password: config.IDENTITY_BOOTSTRAP_MASTER_PASSWORD,
    },
    logger,
  );
  if (master?.oneTimePassword)
    await handOverOneTimePassword(
      master.user.username,
      master.oneTimePassword,
      config.IDENTITY_BOOTSTRAP_PASSWORD_FILE,
      deps,
    );

  let minutes = 0;
  const sweep = setInterval(() => {
    const now = new Date();
    void usedAssertions
      .sweep(now)
      .catch((err: unknown) => logger.warn({ err }, 'used assertion sweep failed'));
    if (minutes++ % 60 === 0) {
      const before = new Date(now.getTime() - config.IDENTITY_ATTEMPT_RETENTION_MS);
      void attempts.prune(before).catch((err: unknown) => logger.warn({ err }, 'attempt pruning failed'));
    }
  }, 60_000);
  sweep.unref();

  const handlerDeps = {
    logger,
    verifier: { verify: (token: string) => sessionControl.authenticate(token) },
    durations: deps.grpcDurations,
  };
  return {
    keyRing,
    users: userService,
    protoFiles: IDENTITY_PROTO_FILES,
    services: [
      {
        name: 'guardian.identity.v1.AuthService',
        definition: AuthServiceService,
        implementation: implement(
          AuthServiceService,
          authHandlers(
            { accounts, signIn, sessions: sessionControl, credentials, liveness },
            userService,
            keyRing,
            ownJwks,
          ),
          handlerDeps,
        ),
      },
      {
        name: 'guardian.identity.v1.UserService',
        definition: UserServiceService,
        implementation: implement(UserServiceService, userHandlers(userService), handlerDeps),
      },
      {
        name: 'guardian.identity.v1.VerificationService',
        definition: VerificationServiceService,
        implementation: implement(
          VerificationServiceService,
          verificationHandlers(verification),
          handlerDeps,
        ),
      },
    ],
    relayModels: [users.model, sessions.model, attempts.model, documents.model],
    consumers: [
      {
        durable: 'identity-biometric',
        filter: 'biometric.>',
        maxDeliver: 10,
        concurrency: 4,
        handler: handleBiometricEvent(biometric),
      },
    ],
    onShutdown: [
      {
        name: 'identity-background',
        run: () => {
          clearInterval(sweep);
          faceClient.close();
          faceSignIn.close();
          userCache.close();
          sessionCache.close();
        },
      },
    ],
  };
}
