import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';

import type { Locale } from '../i18n/locale.js';
import { messagesFor } from '../i18n/messages.js';
import { compose } from './emails.js';
import { Layout, viewToText } from './layout.js';
import type { TemplateData, TemplateName } from './template-data.js';

export interface RenderedEmail {
  template: TemplateName;
  locale: Locale;
  subject: string;
  html: string;
  text: string;
}

/** The doctype `@react-email/render` puts in front of every document. */
export const XHTML_DOCTYPE =
  '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">';

/**
 * Renders one e-mail. The HTML is the React Email layout rendered with `renderToStaticMarkup` plus the
 * doctype `@react-email/render` adds: the same document (a spec compares them) at about a third of the
 * cost, because our templates never suspend and need no streaming. The text part comes from the same
 * view, not from an HTML-to-text pass (which cost more than rendering itself).
 */
export function renderEmail(data: TemplateData, locale: Locale): RenderedEmail {
  const t = messagesFor(locale);
  const { subject, view } = compose(data, { t, locale });
  const html = XHTML_DOCTYPE + renderToStaticMarkup(createElement(Layout, { ...view, locale, t }));
  return { template: data.template, locale, subject, html, text: viewToText(view, t) };
}
