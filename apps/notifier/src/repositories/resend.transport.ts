import { Resend } from 'resend';

import type { MailTransport, OutgoingEmail, SendResult } from '../services/mail.js';

/**
 * Sends through Resend's official SDK. The SDK never throws for HTTP or network failures: it
 * returns `{ error }` (name, message, statusCode — null without a response), which we hand back for
 * classification; `Retry-After` comes from the response headers. The event id is the
 * `Idempotency-Key`, so a retry after an unknown outcome cannot send twice.
 */
export class ResendTransport implements MailTransport {
  readonly name = 'resend' as const;
  private readonly client: Resend;

  constructor(options: { apiKey: string; baseUrl?: string }) {
    this.client = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  }

  async send(email: OutgoingEmail): Promise<SendResult> {
    let response: Awaited<ReturnType<Resend['emails']['send']>>;
    try {
      response = await this.client.emails.send(
        {
          from: email.from,
          to: [email.to],
          subject: email.subject,
          html: email.html,
          text: email.text,
          headers: { 'Content-Language': email.locale },
          tags: [
            { name: 'template', value: email.template },
            { name: 'locale', value: email.locale.replace(/[^A-Za-z0-9_-]/g, '_') },
          ],
        },
        { idempotencyKey: email.idempotencyKey },
      );
    } catch (error) {
      // Not expected from the SDK, but a thrown error is still a failure without a response.
      return {
        ok: false,
        error: {
          statusCode: null,
          name: 'application_error',
          message: String((error as Error)?.message ?? error),
        },
      };
    }
    if (response.error) {
      const headers = response.headers ?? {};
      return {
        ok: false,
        error: {
          statusCode: typeof response.error.statusCode === 'number' ? response.error.statusCode : null,
          name: response.error.name,
          message: response.error.message,
          retryAfter: headers['retry-after'] ?? null,
        },
      };
    }
    return { ok: true, providerId: response.data?.id ?? '' };
  }
}
