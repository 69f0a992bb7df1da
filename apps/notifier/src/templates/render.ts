import type { Locale } from '../i18n/locale.js';
import { messagesFor } from '../i18n/messages.js';
import { compose } from './emails.js';
import { viewToText } from './layout.js';
import { layoutHtml } from './layout-frames.js';
import type { TemplateData, TemplateName } from './template-data.js';

export interface RenderedEmail {
  template: TemplateName;
  locale: Locale;
  subject: string;
  html: string;
  text: string;
}

/**
 * Renders one e-mail. The HTML is the React Email layout as `@react-email/render` produces it (a spec
 * compares them), filled into a frame React rendered once per layout shape (layout-frames.ts); our
 * templates never suspend, so no streaming is needed. The text part comes from the same view, not
 * from an HTML-to-text pass (which cost more than rendering itself).
 */
export function renderEmail(data: TemplateData, locale: Locale): RenderedEmail {
  const t = messagesFor(locale);
  const { subject, view } = compose(data, { t, locale });
  return {
    template: data.template,
    locale,
    subject,
    html: layoutHtml(view, locale, t),
    text: viewToText(view, t),
  };
}
