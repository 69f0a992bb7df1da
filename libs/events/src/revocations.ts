import type { Logger } from '@guardian/logger';
import { DeliverPolicy, type ConsumerMessages } from 'nats';

import type { EventBus } from './bus.js';
import { fromMessage, type GuardianEvent } from './envelope.js';

/** Where revocations go (`LiveSessionVerifier` of `@guardian/auth` is one). */
export interface RevocationTarget {
  revoked(sessionIds: readonly string[]): void;
  suspend(): void;
  resume(): void;
}

/**
 * Feeds `identity.session.revoked` to `target` as it happens: every process reads the stream with
 * its own ordered (ephemeral) consumer from now on, so each replica hears every revocation. While the
 * NATS link is down, or if the consumer dies, revocations may be missed: the target is suspended
 * (remembers nothing) until the link is back.
 */
export async function followRevocations(
  bus: EventBus,
  target: RevocationTarget,
  logger: Logger,
): Promise<{ stop(): Promise<void> }> {
  let stopped = false;
  const consumer = await bus.js.consumers.get(bus.options.stream, {
    filterSubjects: bus.subject('identity.session.revoked'),
    // From now on (a start time: DeliverPolicy.All hangs in consume() against nats-server 2.9).
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date().toISOString(),
  });
  const messages: ConsumerMessages = await consumer.consume();
  target.resume();
  const loop = (async () => {
    try {
      for await (const msg of messages) {
        try {
          const event = fromMessage(msg.headers, msg.data) as GuardianEvent<'identity.session.revoked'>;
          target.revoked(event.data.sessionIds);
        } catch (error) {
          logger.warn({ err: error, subject: msg.subject }, 'unreadable revocation skipped');
        }
      }
    } catch (error) {
      if (!stopped)
        logger.error({ err: error }, 'revocation feed stopped: every token is checked with identity');
    }
    target.suspend();
  })();
  void (async () => {
    for await (const status of bus.nc.status()) {
      if (stopped) return;
      if (status.type === 'disconnect') target.suspend();
      else if (status.type === 'reconnect') target.resume();
    }
  })();
  return {
    async stop() {
      stopped = true;
      await messages.close().catch(() => undefined);
      await loop;
    },
  };
}
