import type { Locale } from '../i18n/locale.js';
import type { TemplateName } from '../templates/template-data.js';
import type { TransportErrorInfo } from './delivery-errors.js';

/** A rendered e-mail ready for a transport. */
export interface OutgoingEmail {
  /** The event id: Resend's Idempotency-Key, the outbox document id. */
  idempotencyKey: string;
  userId: string;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  template: TemplateName;
  locale: Locale;
}

export type SendResult = { ok: true; providerId: string } | { ok: false; error: TransportErrorInfo };

/** Where e-mail goes: Resend's API, or the outbox collection in development. */
export interface MailTransport {
  readonly name: 'resend' | 'outbox';
  send(email: OutgoingEmail): Promise<SendResult>;
}
