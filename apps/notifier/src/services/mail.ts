import type { Locale } from '../i18n/locale.js';
import type { TemplateName } from '../templates/template-data.js';
import type { TransportErrorInfo } from './delivery-errors.js';

/** A rendered e-mail ready for a transport. */
export interface OutgoingEmail {
  /** The event id: Resend's Idempotency-Key; the delivery record's id. */
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

/** What the outbox transport keeps of a message; it is stored with the message's delivery record. */
export interface KeptMessage {
  from: string;
  html: string;
  text: string;
}

export type SendResult =
  { ok: true; providerId: string; keep?: KeptMessage } | { ok: false; error: TransportErrorInfo };

/** Where e-mail goes: Resend's API, or, in development, the outbox: the delivery log itself. */
export interface MailTransport {
  readonly name: 'resend' | 'outbox';
  send(email: OutgoingEmail): Promise<SendResult>;
}
