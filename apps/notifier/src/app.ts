import type { ServiceDeps, ServiceParts } from '@guardian/app-kit';
import { followRevocations, replicatedCache, type GuardianEvent } from '@guardian/events';
import { createClient, identitySessionVerifier, type IdentitySessionCalls } from '@guardian/grpc-kit';
import type { Logger } from '@guardian/logger';
import type { Connection } from '@guardian/mongo';
import type { ShutdownStep } from '@guardian/runtime';
import { AuthServiceClient, AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';

import type { NotifierConfig } from './config.js';
import { notificationGrpc } from './grpc/notification.grpc.js';
import { ContactRepository } from './repositories/contact.repository.js';
import { DeadLetterPublisher } from './repositories/dead-letter.publisher.js';
import { DigestRepository } from './repositories/digest.repository.js';
import { NotifierMetrics } from './repositories/metrics.js';
import { NotificationRepository } from './repositories/notification.repository.js';
import { PreferencesRepository } from './repositories/preferences.repository.js';
import { ResendTransport } from './repositories/resend.transport.js';
import { DeliveryLogService } from './services/delivery-log.service.js';
import type { Contact } from './services/address-book.js';
import type { MailTransport } from './services/mail.js';
import { OutboxTransport } from './services/outbox-transport.js';
import type { Preferences } from './services/notification-policy.js';
import { NotificationDispatcher } from './services/notification.service.js';

/**
 * The outbox used to keep messages in a collection of their own; they now live in their delivery
 * records. The old copies hold names and addresses that a user's erasure no longer reaches, so they go.
 */
async function dropLegacyOutbox(mongo: Connection, logger: Logger) {
  const db = mongo.db!;
  if ((await db.listCollections({ name: 'outbox' }).toArray()).length === 0) return;
  try {
    await db.dropCollection('outbox');
  } catch (error) {
    // Another replica starting at the same time dropped it first (NamespaceNotFound).
    if ((error as { code?: number }).code !== 26) throw error;
    return;
  }
  logger.info('dropped the legacy outbox collection (messages are kept in their delivery records)');
}

export const NOTIFIER_PROTO_FILES = ['guardian/notifier/v1/notification.proto'];

export interface NotifierParts extends ServiceParts {
  dispatcher: NotificationDispatcher;
  repositories: {
    contacts: ContactRepository;
    preferences: PreferencesRepository;
    digests: DigestRepository;
    notifications: NotificationRepository;
  };
  transport: MailTransport;
}

/**
 * The notifier's wiring (config -> repositories -> services -> transports), run by app-kit in
 * main.ts and by the integration tests. `identity` replaces identity's GetJwks and CheckSession
 * (tests sign their own tokens).
 */
export async function setupNotifier(
  deps: ServiceDeps<NotifierConfig>,
  overrides: { identity?: IdentitySessionCalls } = {},
): Promise<NotifierParts> {
  const { config, logger, mongo, bus, registry } = deps;
  const durable = config.NOTIFIER_CONSUMER_DURABLE;

  // Each replica caches addresses and preferences; a writer announces its change to the others.
  const contactCache = replicatedCache<Contact>(bus, 'notifier.contacts', config.NOTIFIER_CACHE_TTL_MS);
  const preferencesCache = replicatedCache<Preferences>(
    bus,
    'notifier.preferences',
    config.NOTIFIER_CACHE_TTL_MS,
  );
  const contacts = new ContactRepository(mongo, contactCache);
  const preferences = new PreferencesRepository(mongo, preferencesCache);
  const digests = new DigestRepository(mongo);
  const notifications = new NotificationRepository(mongo);
  await dropLegacyOutbox(mongo, logger);
  const transport: MailTransport = config.NOTIFIER_RESEND_API_KEY
    ? new ResendTransport({
        apiKey: config.NOTIFIER_RESEND_API_KEY,
        ...(config.NOTIFIER_RESEND_BASE_URL ? { baseUrl: config.NOTIFIER_RESEND_BASE_URL } : {}),
      })
    : new OutboxTransport();
  logger.info({ transport: transport.name }, 'mail transport selected');
  const deadLetters = new DeadLetterPublisher(bus, durable);
  const metrics = new NotifierMetrics(registry, bus, durable);

  const dispatcher = new NotificationDispatcher(
    {
      contacts,
      preferences,
      digests,
      notifications,
      transport,
      deadLetters,
      forgetUser: async (userId) => {
        await Promise.all([
          preferences.forget(userId),
          digests.forget(userId),
          notifications.forgetRecipient(userId),
        ]);
      },
      onOutcome: (template, outcome) => metrics.count(template, outcome),
    },
    {
      from: config.NOTIFIER_MAIL_FROM,
      digestWindowMs: config.NOTIFIER_DIGEST_WINDOW_MS,
      maxDeliver: config.NOTIFIER_MAX_DELIVER,
      backoff: { baseMs: config.NOTIFIER_RETRY_BASE_MS, maxMs: config.NOTIFIER_RETRY_MAX_MS },
      noAddressRetries: config.NOTIFIER_NO_ADDRESS_RETRIES,
      noAddressDelayMs: config.NOTIFIER_NO_ADDRESS_DELAY_MS,
      dashboardUrl: config.NOTIFIER_DASHBOARD_URL,
    },
    logger,
  );

  let identity = overrides.identity;
  const onShutdown: ShutdownStep[] = [
    {
      name: 'cache-invalidation',
      run: () => {
        contactCache.close();
        preferencesCache.close();
      },
    },
  ];
  if (!identity) {
    const client = createClient(AuthServiceClient, AuthServiceService, config.NOTIFIER_IDENTITY_ADDRESS, {
      idempotent: ['getJwks', 'checkSession'],
      deadlineMs: 3_000,
    });
    identity = client;
    onShutdown.push({ name: 'identity-client', run: () => client.close() });
  }
  const verifier = identitySessionVerifier(identity);
  const revocations = await followRevocations(bus, verifier, logger.child({ component: 'revocations' }));
  onShutdown.unshift({ name: 'revocations', run: () => revocations.stop() });
  const log = new DeliveryLogService({ notifications, preferences });

  return {
    services: [notificationGrpc({ logger, verifier, durations: deps.grpcDurations, log })],
    protoFiles: NOTIFIER_PROTO_FILES,
    consumers: [
      {
        durable,
        maxDeliver: config.NOTIFIER_MAX_DELIVER,
        ackWaitMs: config.NOTIFIER_ACK_WAIT_MS,
        concurrency: config.NOTIFIER_CONCURRENCY,
        handler: (event: GuardianEvent, delivery) => dispatcher.handle(event, delivery),
      },
    ],
    onShutdown,
    dispatcher,
    repositories: { contacts, preferences, digests, notifications },
    transport,
  };
}
