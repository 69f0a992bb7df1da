import type { MailTransport, OutgoingEmail, SendResult } from './mail.js';

/**
 * The development transport: sends nothing and hands the rendered message back to be kept with its
 * delivery record, which is written once per event (keyed by the event id), so a message is kept
 * exactly once and in the same write as its record. The dashboard and the tests read it from there.
 */
export class OutboxTransport implements MailTransport {
  readonly name = 'outbox' as const;

  async send(email: OutgoingEmail): Promise<SendResult> {
    return {
      ok: true,
      providerId: email.idempotencyKey,
      keep: { from: email.from, html: email.html, text: email.text },
    };
  }
}
