import type { GuardianEvent } from '@guardian/events';

import { resolveLocale, type Locale } from '../i18n/locale.js';
import type { ClientView, TemplateData, TemplateName } from '../templates/template-data.js';
import type { Contact } from './address-book.js';

export interface Preferences {
  /** Alerts on successful sign-ins; the only alert a user may switch off. */
  loginSuccessAlerts: boolean;
}

export const DEFAULT_PREFERENCES: Preferences = { loginSuccessAlerts: true };

export type SuppressReason = 'preference' | 'user_deleted' | 'no_address' | 'digest';

/** What to do with one event. `ignore` leaves no delivery record (the event is not about e-mail). */
export type Plan =
  | { kind: 'ignore'; reason: string }
  | { kind: 'suppress'; userId: string; template: TemplateName; locale: Locale; reason: SuppressReason }
  | {
      kind: 'send';
      userId: string;
      template: TemplateName;
      locale: Locale;
      to: string;
      data: TemplateData;
      /** Failed attempts go through the digest before they are sent. */
      digest: boolean;
    };

const client = (info: { ip: string; userAgent: string } | undefined): ClientView => ({
  ip: info?.ip ?? '',
  userAgent: info?.userAgent ?? '',
});

type Draft = { userId: string; data: TemplateData; digest?: boolean } | { ignore: string };

/** What the policy takes from the configuration. */
export interface PolicyOptions {
  /** The web dashboard's base URL (`NOTIFIER_DASHBOARD_URL`); without it video mails carry no link. */
  dashboardUrl?: string;
}

/** The video's result page in the dashboard (the configured base may end in a slash). */
function videoPage({ dashboardUrl }: PolicyOptions, jobId: string): string | undefined {
  if (!dashboardUrl || !jobId) return undefined;
  return `${dashboardUrl.replace(/\/+$/, '')}/videos/${encodeURIComponent(jobId)}`;
}

/** Event -> template data (before recipient, locale and preferences are considered). */
function draft(event: GuardianEvent, name: string, options: PolicyOptions): Draft {
  switch (event.type) {
    case 'identity.login.succeeded': {
      const d = event.data as GuardianEvent<'identity.login.succeeded'>['data'];
      return {
        userId: d.userId,
        data: {
          template: 'login_succeeded',
          name,
          method: d.method,
          at: d.at ?? event.time,
          client: client(d.client),
        },
      };
    }
    case 'identity.login.failed': {
      const d = event.data as GuardianEvent<'identity.login.failed'>['data'];
      if (!d.userId) return { ignore: 'no account matched the identifier' };
      return {
        userId: d.userId,
        digest: true,
        data: {
          template: 'login_failed',
          name,
          method: d.method,
          at: d.at ?? event.time,
          client: client(d.client),
          failures: 1,
          consecutive: d.attemptCount,
        },
      };
    }
    case 'biometric.auth.failed': {
      // A failed face verification is a failed sign-in attempt by face; same digest as passwords.
      const d = event.data as GuardianEvent<'biometric.auth.failed'>['data'];
      if (!d.userId) return { ignore: 'no user' };
      return {
        userId: d.userId,
        digest: true,
        data: {
          template: 'login_failed',
          name,
          method: 'face',
          at: event.time,
          client: client(d.client),
          failures: 1,
          consecutive: d.attemptCount,
        },
      };
    }
    case 'identity.account.locked': {
      const d = event.data as GuardianEvent<'identity.account.locked'>['data'];
      return {
        userId: d.userId,
        data: {
          template: 'account_locked',
          name,
          lockedUntil: d.lockedUntil,
          attemptCount: d.attemptCount,
          channel: d.channel,
          client: client(d.client),
        },
      };
    }
    case 'identity.password.changed': {
      const d = event.data as GuardianEvent<'identity.password.changed'>['data'];
      return {
        userId: d.userId,
        data: { template: 'password_changed', name, at: d.at ?? event.time, client: client(d.client) },
      };
    }
    case 'biometric.enrolled': {
      const d = event.data as GuardianEvent<'biometric.enrolled'>['data'];
      return {
        userId: d.userId,
        data: { template: 'biometric_enrolled', name, sampleCount: d.sampleCount, updated: d.updated },
      };
    }
    case 'biometric.removed': {
      const d = event.data as GuardianEvent<'biometric.removed'>['data'];
      if (d.reason === 'user_deleted') return { ignore: 'templates erased with the account' };
      return { userId: d.userId, data: { template: 'biometric_removed', name, reason: d.reason } };
    }
    case 'verification.document.reviewed': {
      const d = event.data as GuardianEvent<'verification.document.reviewed'>['data'];
      if (d.decision !== 'approved' && d.decision !== 'rejected')
        return { ignore: `unknown decision "${d.decision}"` };
      return {
        userId: d.userId,
        data: {
          template: 'document_reviewed',
          name,
          documentType: d.type,
          decision: d.decision,
          reason: d.reason,
        },
      };
    }
    case 'media.video.analyzed': {
      const d = event.data as GuardianEvent<'media.video.analyzed'>['data'];
      if (!d.userId) return { ignore: 'no user' };
      return {
        userId: d.userId,
        data: {
          template: 'video_analyzed',
          name,
          jobId: d.jobId,
          fileName: d.fileName,
          // Failures now come as media.video.failed; an older analyzed event may still say "failed".
          status: d.status === 'succeeded' ? 'succeeded' : 'failed',
          dominantExpression: d.dominantExpression,
          framesAnalyzed: d.framesAnalyzed,
          durationMs: d.durationMs,
          people: d.people,
          reason: d.status === 'succeeded' ? '' : d.error,
          resultUrl: videoPage(options, d.jobId),
        },
      };
    }
    case 'media.video.failed': {
      const d = event.data as GuardianEvent<'media.video.failed'>['data'];
      if (!d.userId) return { ignore: 'no user' };
      return {
        userId: d.userId,
        data: {
          template: 'video_analyzed',
          name,
          jobId: d.jobId,
          fileName: d.fileName,
          status: 'failed',
          dominantExpression: '',
          framesAnalyzed: 0,
          durationMs: 0,
          people: 0,
          reason: d.reason,
          resultUrl: videoPage(options, d.jobId),
        },
      };
    }
    case 'identity.user.registered': // handled by planNotification (address from the event)
    case 'identity.user.updated':
    case 'identity.user.deleted':
    case 'identity.session.revoked':
    case 'biometric.auth.succeeded': // identity.login.succeeded (method face) already covers it
    case 'verification.document.submitted':
    case 'media.video.submitted': // the analysis job queue; its outcome is mailed
      return { ignore: `no e-mail for ${event.type}` };
    case 'biometric.liveness.failed':
      // A sign-in capture that did not pass is also a biometric.auth.failed (reason MOVE_NOT_SEEN,
      // WRONG_ORDER, ...), mailed through the failed-attempt digest like any failed face sign-in; an
      // enrollment capture is the signed-in user's own attempt.
      return { ignore: 'mailed as biometric.auth.failed (sign-in) or the user enrolling themself' };
  }
}

/** The user an event would mail, if any (so the caller can load contact and preferences). */
export function recipientOf(event: GuardianEvent): string | undefined {
  const data = event.data as { userId?: unknown };
  return typeof data.userId === 'string' && data.userId !== '' ? data.userId : undefined;
}

/**
 * Event + what we know about the user -> send, suppress or ignore. Security alerts (failed attempts,
 * lock, password change, biometric changes) ignore preferences; only login-success alerts can be
 * switched off. The digest of failed attempts is applied afterwards (it needs stored state).
 */
export function planNotification(
  event: GuardianEvent,
  known: { contact: Contact | undefined; preferences: Preferences | undefined },
  options: PolicyOptions = {},
): Plan {
  const { contact } = known;
  const preferences = known.preferences ?? DEFAULT_PREFERENCES;

  if (event.type === 'identity.user.registered') {
    const d = event.data as GuardianEvent<'identity.user.registered'>['data'];
    const locale = resolveLocale(d.locale);
    if (contact?.deleted)
      return { kind: 'suppress', userId: d.userId, template: 'welcome', locale, reason: 'user_deleted' };
    if (!d.email)
      return { kind: 'suppress', userId: d.userId, template: 'welcome', locale, reason: 'no_address' };
    return {
      kind: 'send',
      userId: d.userId,
      template: 'welcome',
      locale,
      to: d.email,
      digest: false,
      data: {
        template: 'welcome',
        name: d.fullName,
        username: d.username,
        registrationKind: d.registrationKind,
      },
    };
  }

  const drafted = draft(event, contact?.name ?? '', options);
  if ('ignore' in drafted) return { kind: 'ignore', reason: drafted.ignore };
  const { userId, data } = drafted;
  const template = data.template;
  const locale = resolveLocale(contact?.locale);
  if (contact?.deleted) return { kind: 'suppress', userId, template, locale, reason: 'user_deleted' };
  if (!contact || contact.email === '')
    return { kind: 'suppress', userId, template, locale, reason: 'no_address' };
  if (template === 'login_succeeded' && !preferences.loginSuccessAlerts) {
    return { kind: 'suppress', userId, template, locale, reason: 'preference' };
  }
  return { kind: 'send', userId, template, locale, to: contact.email, data, digest: drafted.digest ?? false };
}
