import { Preview } from '@react-email/components';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';

import type { Locale } from '../i18n/locale.js';
import type { Messages } from '../i18n/messages.js';
import { Layout, type EmailView } from './layout.js';

/** The doctype `@react-email/render` puts in front of every document. */
export const XHTML_DOCTYPE =
  '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">';

/** The e-mail's HTML as React renders it: the reference `layoutHtml` must equal (render.spec.ts). */
export function renderLayoutWithReact(view: EmailView, locale: Locale, t: Messages): string {
  return XHTML_DOCTYPE + renderToStaticMarkup(createElement(Layout, { ...view, locale, t }));
}

/** The texts of a view in slot order; `markedView` puts slot i's marker where text i goes. */
function textsOf(view: EmailView): string[] {
  return [
    view.heading,
    view.greeting,
    ...view.paragraphs,
    ...(view.details ?? []).flatMap((d) => [d.label, d.value]),
    ...(view.action ? [view.action.label, view.action.href] : []),
    ...(view.callout ? [view.callout] : []),
    ...(view.note ? [view.note] : []),
  ];
}

// Private-use characters: React leaves them as they are, and no e-mail text is put through a search for them.
const marker = (slot: number) => `\u{E000}${slot}\u{E001}`;
const MARKERS = /\u{E000}(-?\d+)\u{E001}/gu;
const PREVIEW_SLOT = -1;

function markedView(view: EmailView): EmailView {
  let slot = 0;
  const next = () => marker(slot++);
  return {
    preview: 'preview',
    heading: next(),
    greeting: next(),
    paragraphs: view.paragraphs.map(next),
    ...(view.details ? { details: view.details.map(() => ({ label: next(), value: next() })) } : {}),
    ...(view.action ? { action: { label: next(), href: next() } } : {}),
    ...(view.callout ? { callout: next() } : {}),
    ...(view.note ? { note: next() } : {}),
    ...(view.security ? { security: true } : {}),
  };
}

/** What decides the frame: the locale's fixed words and which parts the view has. */
const shapeOf = (view: EmailView, locale: Locale) =>
  [
    locale,
    view.paragraphs.length,
    view.details?.length ?? 0,
    view.action ? 1 : 0,
    view.callout ? 1 : 0,
    view.note ? 1 : 0,
    view.security ? 1 : 0,
  ].join('|');

/** Static HTML between slots: `pieces` alternate text and slot numbers (a text slot, or the preview). */
type Frame = (string | number)[];

const renderPreview = (text: string) => renderToStaticMarkup(createElement(Preview, null, text));

// Previews repeat (a template's words with a method or a device), so their HTML is kept; the cap
// bounds the memory when they do not.
const previews = new Map<string, string>();
const PREVIEWS_KEPT = 1_000;
function previewHtml(text: string): string {
  let html = previews.get(text);
  if (html === undefined) {
    html = renderPreview(text);
    if (previews.size >= PREVIEWS_KEPT) previews.clear();
    previews.set(text, html);
  }
  return html;
}

function buildFrame(view: EmailView, locale: Locale, t: Messages): Frame {
  const marked = markedView(view);
  let html = renderLayoutWithReact(marked, locale, t);
  // The preview pads its text to a fixed length, so it is rendered on its own for each e-mail.
  const markedPreview = renderPreview(marked.preview);
  const at = html.indexOf(markedPreview);
  if (at < 0 || html.indexOf(markedPreview, at + 1) >= 0)
    throw new Error('layout frame: the preview does not appear exactly once');
  html = html.slice(0, at) + marker(PREVIEW_SLOT) + html.slice(at + markedPreview.length);

  const frame: Frame = [];
  let last = 0;
  for (const match of html.matchAll(MARKERS)) {
    frame.push(html.slice(last, match.index), Number(match[1]));
    last = match.index + match[0].length;
  }
  frame.push(html.slice(last));
  return frame;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
};
/** React's text escaping, character for character. */
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const frames = new Map<string, Frame>();

/**
 * The e-mail's HTML, the same bytes as `renderLayoutWithReact`: React renders the layout once per
 * locale and shape with a marker in each text slot, and each e-mail fills the slots with its escaped
 * texts. Rendering the whole tree per e-mail was most of the notifier's CPU per event.
 */
export function layoutHtml(view: EmailView, locale: Locale, t: Messages): string {
  // React rewrites a javascript: href (and the like) instead of escaping it; a frame would not, so
  // anything but http(s) takes React's own path. Our links are http(s) (the config checks the base).
  if (view.action && !/^https?:/i.test(view.action.href)) return renderLayoutWithReact(view, locale, t);
  const shape = shapeOf(view, locale);
  let frame = frames.get(shape);
  if (!frame) {
    frame = buildFrame(view, locale, t);
    frames.set(shape, frame);
  }
  const texts = textsOf(view);
  let html = '';
  for (const piece of frame) {
    if (typeof piece === 'string') html += piece;
    else html += piece === PREVIEW_SLOT ? previewHtml(view.preview) : escapeHtml(texts[piece]!);
  }
  return html;
}
