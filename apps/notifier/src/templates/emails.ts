import type { Locale } from '../i18n/locale.js';
import { format, formatDateTime, lookup, type Messages } from '../i18n/messages.js';
import { parseUserAgent } from '../services/user-agent.js';
import type { Detail, EmailView } from './layout.js';
import type {
  AccountLockedData,
  BiometricEnrolledData,
  BiometricRemovedData,
  ClientView,
  DocumentReviewedData,
  LoginFailedData,
  LoginSucceededData,
  PasswordChangedData,
  TemplateData,
  VideoAnalyzedData,
  WelcomeData,
} from './template-data.js';

/**
 * What each template says, as data: the subject plus an `EmailView` that the React Email layout turns
 * into HTML and `viewToText` into the plain-text part. Keeping the words here (not in JSX) lets both
 * parts say exactly the same thing.
 */
export interface Composed {
  subject: string;
  view: EmailView;
}

interface Ctx {
  t: Messages;
  locale: Locale;
}

const greeting = (t: Messages, name: string) =>
  name.trim() === '' ? t.common.greetingAnonymous : format(t.common.greeting, { name: name.trim() });

/** "Chrome 120 on Windows" in the user's language, or "unknown". */
export function describeDevice(t: Messages, userAgent: string): string {
  const ua = parseUserAgent(userAgent);
  if (!ua.browser && !ua.os) return t.common.unknown;
  return format(t.common.deviceFormat, {
    browser: ua.browser ?? t.common.unknown,
    os: ua.os ?? t.common.unknown,
  });
}

const methodName = (t: Messages, method: string) =>
  lookup(t.common.methods, method, method || t.common.unknown);

function clientDetails(t: Messages, locale: Locale, client: ClientView, at?: Date): Detail[] {
  const details: Detail[] = [];
  if (at) details.push({ label: t.common.time, value: formatDateTime(at, locale) });
  details.push({ label: t.common.ip, value: client.ip || t.common.unknown });
  details.push({ label: t.common.device, value: describeDevice(t, client.userAgent) });
  return details;
}

function welcome(d: WelcomeData, { t }: Ctx): Composed {
  const m = t.welcome;
  const name = d.name.trim() || d.username;
  return {
    subject: format(m.subject, { name }),
    view: {
      preview: m.preview,
      heading: m.heading,
      greeting: greeting(t, name),
      paragraphs: [
        format(m.body, { username: d.username }),
        d.registrationKind === 'face_only' ? m.faceOnly : m.tip,
      ],
    },
  };
}

function loginSucceeded(d: LoginSucceededData, { t, locale }: Ctx): Composed {
  const m = t.loginSucceeded;
  const method = methodName(t, d.method);
  return {
    subject: m.subject,
    view: {
      preview: format(m.preview, { method, device: describeDevice(t, d.client.userAgent) }),
      heading: m.heading,
      greeting: greeting(t, d.name),
      paragraphs: [format(m.body, { method }), t.common.notYou],
      details: [{ label: t.common.method, value: method }, ...clientDetails(t, locale, d.client, d.at)],
      note: m.optOut,
    },
  };
}

function loginFailed(d: LoginFailedData, { t, locale }: Ctx): Composed {
  const m = t.loginFailed;
  const count = Math.max(1, d.failures);
  const details: Detail[] = [{ label: t.common.method, value: methodName(t, d.method) }];
  details.push(...clientDetails(t, locale, d.client, d.at));
  if (d.consecutive > 0) details.push({ label: m.attempts, value: String(d.consecutive) });
  return {
    subject: m.subject,
    view: {
      preview: format(m.preview, { count, device: describeDevice(t, d.client.userAgent) }),
      heading: m.heading,
      greeting: greeting(t, d.name),
      paragraphs: [count === 1 ? m.bodyOne : format(m.bodyMany, { count })],
      details,
      callout: m.advice,
      security: true,
    },
  };
}

function accountLocked(d: AccountLockedData, { t, locale }: Ctx): Composed {
  const m = t.accountLocked;
  const until = d.lockedUntil
    ? format(m.until, { until: formatDateTime(d.lockedUntil, locale) })
    : m.untilUnknown;
  return {
    subject: m.subject,
    view: {
      preview: m.preview,
      heading: m.heading,
      greeting: greeting(t, d.name),
      paragraphs: [format(m.body, { count: d.attemptCount }), until],
      details: [
        { label: m.channel, value: lookup(m.channels, d.channel, d.channel || t.common.unknown) },
        ...clientDetails(t, locale, d.client),
      ],
      callout: t.common.notYou,
      security: true,
    },
  };
}

function biometricEnrolled(d: BiometricEnrolledData, { t }: Ctx): Composed {
  const m = t.biometricEnrolled;
  return {
    subject: m.subject,
    view: {
      preview: m.preview,
      heading: m.heading,
      greeting: greeting(t, d.name),
      paragraphs: [format(d.updated ? m.bodyUpdated : m.bodyNew, { count: d.sampleCount })],
      callout: t.common.notYou,
      security: true,
    },
  };
}

function biometricRemoved(d: BiometricRemovedData, { t }: Ctx): Composed {
  const m = t.biometricRemoved;
  return {
    subject: m.subject,
    view: {
      preview: m.preview,
      heading: m.heading,
      greeting: greeting(t, d.name),
      paragraphs: [m.body],
      details: [{ label: m.reason, value: lookup(m.reasons, d.reason, d.reason || t.common.unknown) }],
      callout: t.common.notYou,
      security: true,
    },
  };
}

function passwordChanged(d: PasswordChangedData, { t, locale }: Ctx): Composed {
  const m = t.passwordChanged;
  return {
    subject: m.subject,
    view: {
      preview: m.preview,
      heading: m.heading,
      greeting: greeting(t, d.name),
      paragraphs: [m.body],
      details: clientDetails(t, locale, d.client, d.at),
      callout: t.common.notYou,
      security: true,
    },
  };
}

function documentReviewed(d: DocumentReviewedData, { t }: Ctx): Composed {
  const m = t.documentReviewed;
  const approved = d.decision === 'approved';
  const type = d.documentType || t.common.unknown;
  return {
    subject: approved ? m.subjectApproved : m.subjectRejected,
    view: {
      preview: format(m.preview, { type }),
      heading: approved ? m.headingApproved : m.headingRejected,
      greeting: greeting(t, d.name),
      paragraphs: approved
        ? [format(m.bodyApproved, { type })]
        : [format(m.bodyRejected, { type }), m.nextSteps],
      details: approved ? [] : [{ label: m.reason, value: d.reason.trim() || m.noReason }],
    },
  };
}

function videoAnalyzed(d: VideoAnalyzedData, { t }: Ctx): Composed {
  const m = t.videoAnalyzed;
  const ok = d.status === 'succeeded';
  const fileName = d.fileName.trim();
  const file = fileName === '' ? m.unnamed : format(m.quotedName, { name: fileName });
  const seconds = Math.round(d.durationMs / 1000);
  const expression = lookup(m.expressions, d.dominantExpression, d.dominantExpression || t.common.unknown);
  // A failure is told in words (a sentence per known reason code, a generic one otherwise): the code
  // alone means nothing to the user, so it only follows as a detail, for support.
  const paragraphs = ok
    ? [
        d.people > 0
          ? format(m.bodySucceeded, { file, people: d.people, seconds, expression })
          : format(m.bodyNoPeople, { file, seconds }),
      ]
    : [format(m.bodyFailed, { file }), lookup(m.reasons, d.reason, m.reasonOther)];
  const details: Detail[] = [];
  if (fileName !== '') details.push({ label: m.fileName, value: fileName });
  if (ok) details.push({ label: m.frames, value: String(d.framesAnalyzed) });
  else if (d.reason) details.push({ label: m.error, value: d.reason });
  details.push({ label: m.job, value: d.jobId });
  return {
    subject: ok ? m.subjectSucceeded : m.subjectFailed,
    view: {
      preview: format(m.preview, { file }),
      heading: ok ? m.headingSucceeded : m.headingFailed,
      greeting: greeting(t, d.name),
      paragraphs,
      details,
      ...(d.resultUrl ? { action: { label: ok ? m.viewResults : m.viewVideo, href: d.resultUrl } } : {}),
    },
  };
}

/** Picks the template for the data; exhaustive over `TemplateData`. */
export function compose(data: TemplateData, ctx: Ctx): Composed {
  switch (data.template) {
    case 'welcome':
      return welcome(data, ctx);
    case 'login_succeeded':
      return loginSucceeded(data, ctx);
    case 'login_failed':
      return loginFailed(data, ctx);
    case 'account_locked':
      return accountLocked(data, ctx);
    case 'biometric_enrolled':
      return biometricEnrolled(data, ctx);
    case 'biometric_removed':
      return biometricRemoved(data, ctx);
    case 'password_changed':
      return passwordChanged(data, ctx);
    case 'document_reviewed':
      return documentReviewed(data, ctx);
    case 'video_analyzed':
      return videoAnalyzed(data, ctx);
  }
}
