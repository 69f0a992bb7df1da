import { ack, retry, type Decision, type DeliveryInfo, type GuardianEvent } from '@guardian/events';
import type { Logger } from '@guardian/logger';

import type { NewNotification, NotificationRepository } from '../repositories/notification.repository.js';
import { renderEmail } from '../templates/render.js';
import type { TemplateName } from '../templates/template-data.js';
import { isUserEvent, type Contact, type UserEvent } from './address-book.js';
import { classifyTransportError, type BackoffPolicy } from './delivery-errors.js';
import type { DigestDecision } from './failed-login-digest.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { MailTransport } from './mail.js';
import { planNotification, recipientOf, type Preferences } from './notification-policy.js';

export type Outcome = 'sent' | 'failed' | 'suppressed';

/** The outside world as the dispatcher needs it (repositories implement these; specs can fake them). */
export interface DispatcherPorts {
  contacts: {
    get(userId: string): Promise<Contact | undefined>;
    apply(event: UserEvent): Promise<Contact | undefined>;
  };
  preferences: { get(userId: string): Promise<Preferences> };
  digests: {
    apply(userId: string, attempt: { eventId: string; at: Date }, windowMs: number): Promise<DigestDecision>;
  };
  notifications: Pick<NotificationRepository, 'get' | 'recordSuppressed' | 'recordFinal' | 'recordRetry'>;
  transport: MailTransport;
  deadLetters: { publish(event: GuardianEvent, reason: string): Promise<void> };
  /** Erases what the notifier keeps about a deleted user (preferences, digest, stored messages...). */
  forgetUser(userId: string): Promise<void>;
  /** Counts final outcomes once per event. */
  onOutcome?(template: TemplateName, outcome: Outcome): void;
}

export interface DispatcherOptions {
  from: string;
  digestWindowMs: number;
  /** The consumer's max deliveries: the last one turns a transient failure into a final one. */
  maxDeliver: number;
  backoff: BackoffPolicy;
  /** An event for a user whose address has not arrived yet is retried this many times, then suppressed. */
  noAddressRetries: number;
  noAddressDelayMs: number;
  /** The web dashboard's base URL, for links to a user's results; without it mails carry no link. */
  dashboardUrl?: string;
}

/**
 * Turns one event into at most one e-mail: address book upkeep, plan (policy), delivery record check
 * (keyed by event id: a redelivered event whose record is final sends nothing), digest, render,
 * send (idempotency key = event id, for the window between send and record), record the outcome.
 * Returns the consumer decision; throws only for the unexpected (the consumer retries).
 */
export class NotificationDispatcher {
  private readonly perUser = new KeyedMutex();

  constructor(
    private readonly ports: DispatcherPorts,
    private readonly options: DispatcherOptions,
    private readonly logger: Logger,
  ) {}

  /** One user's events are handled one at a time (see KeyedMutex); different users in parallel. */
  async handle(event: GuardianEvent, delivery: Pick<DeliveryInfo, 'deliveryCount'>): Promise<Decision> {
    const userId = recipientOf(event);
    return userId
      ? this.perUser.run(userId, () => this.handleOne(event, delivery))
      : this.handleOne(event, delivery);
  }

  private async handleOne(
    event: GuardianEvent,
    delivery: Pick<DeliveryInfo, 'deliveryCount'>,
  ): Promise<Decision> {
    const { ports } = this;
    if (isUserEvent(event)) {
      await ports.contacts.apply(event);
      if (event.type === 'identity.user.deleted') await ports.forgetUser(event.data.userId);
      if (event.type !== 'identity.user.registered') return ack();
    }

    const userId = recipientOf(event);
    const [contact, preferences] = userId
      ? await Promise.all([ports.contacts.get(userId), ports.preferences.get(userId)])
      : [undefined, undefined];
    const plan = planNotification(
      event,
      { contact, preferences },
      { dashboardUrl: this.options.dashboardUrl },
    );
    if (plan.kind === 'ignore') return ack();

    const init: NewNotification = {
      eventId: event.id,
      eventType: event.type,
      userId: plan.userId,
      template: plan.template,
      locale: plan.locale,
      recipient: plan.kind === 'send' ? plan.to : '',
      transport: ports.transport.name,
      digestCount: 0,
    };

    if (plan.kind === 'suppress') {
      if (
        plan.reason === 'no_address' &&
        !contact &&
        delivery.deliveryCount <= this.options.noAddressRetries
      ) {
        return retry(this.options.noAddressDelayMs, 'address not known yet');
      }
      return this.suppress(init, plan.reason);
    }

    // Records are written only while handling this event, so a first delivery has none to find;
    // should it meet one anyway (a re-published event), the insert finds it and the transport's
    // idempotency key keeps the e-mail single.
    const existing = delivery.deliveryCount > 1 ? await ports.notifications.get(event.id) : undefined;
    if (existing && existing.status !== 'pending') return ack();
    const attempt = (existing?.attempts ?? 0) + 1;

    let data = plan.data;
    if (plan.digest && data.template === 'login_failed') {
      const decision = await ports.digests.apply(
        plan.userId,
        { eventId: event.id, at: data.at },
        this.options.digestWindowMs,
      );
      if (!decision.alert) return this.suppress({ ...init, digestCount: decision.failures }, 'digest');
      data = { ...data, failures: decision.failures };
      init.digestCount = decision.failures;
    }

    const email = renderEmail(data, plan.locale);
    const result = await ports.transport.send({
      idempotencyKey: event.id,
      userId: plan.userId,
      from: this.options.from,
      to: plan.to,
      subject: email.subject,
      html: email.html,
      text: email.text,
      template: plan.template,
      locale: plan.locale,
    });
    if (result.ok) {
      await ports.notifications.recordFinal(
        init,
        {
          status: 'sent',
          attempts: attempt,
          subject: email.subject,
          providerId: result.providerId,
          ...(result.keep ? { message: result.keep } : {}),
        },
        existing !== undefined,
      );
      ports.onOutcome?.(plan.template, 'sent');
      return ack();
    }

    const failure = classifyTransportError(result.error, attempt, this.options.backoff);
    const log = this.logger.child({ eventId: event.id, template: plan.template, attempt });
    if (failure.kind === 'transient' && delivery.deliveryCount < this.options.maxDeliver) {
      log.warn(
        { reason: failure.reason, retryAfterMs: failure.retryAfterMs },
        'mail transport failed; will retry',
      );
      await ports.notifications.recordRetry(init, attempt, failure.reason, email.subject);
      return retry(failure.retryAfterMs, failure.reason);
    }
    const reason = failure.kind === 'permanent' ? failure.reason : `retries exhausted: ${failure.reason}`;
    log.error({ reason }, 'mail delivery failed for good; dead-lettering the event');
    // Dead letter first: if recording fails afterwards, the redelivery publishes again (deduped by id).
    await ports.deadLetters.publish(event, reason);
    await ports.notifications.recordFinal(
      init,
      { status: 'failed', attempts: attempt, subject: email.subject, lastError: reason },
      existing !== undefined,
    );
    ports.onOutcome?.(plan.template, 'failed');
    return ack();
  }

  private async suppress(init: NewNotification, reason: string): Promise<Decision> {
    const inserted = await this.ports.notifications.recordSuppressed(init, reason);
    if (inserted) this.ports.onOutcome?.(init.template, 'suppressed');
    return ack();
  }
}
