import { describe, expect, it } from 'vitest';

import { LOCALES } from '../i18n/locale.js';
import { messagesFor } from '../i18n/messages.js';
import { compose } from './emails.js';
import { sampleTemplateData } from './fixtures.js';
import type { EmailView } from './layout.js';
import { layoutHtml, renderLayoutWithReact } from './layout-frames.js';
import { TEMPLATE_NAMES } from './template-data.js';

const HOSTILE = [
  '',
  'plain',
  `<script>alert("x")</script> & 'quotes' > done`,
  '&amp; already escaped &lt;',
  'marker-like \u{E000}0\u{E001} and \u{E000}-1\u{E001} and \u{E000}',
  'emoji 👩🏽‍💻 and accents: ação, niño',
  'x'.repeat(149),
  'y'.repeat(150),
  'z'.repeat(151) + '<b>',
  '  spaces around  ',
];

// Links as a frame must reproduce them, and ones React rewrites (javascript:) rather than escapes.
const HREFS = [
  'https://guardian.example/videos/job-42',
  'http://localhost:8080/videos/a%2Fb?x=1&y="<2>"',
  'HTTPS://guardian.example/\u{E000}0\u{E001}',
  'javascript:alert(1)',
  ' jav\tascript:alert(1)',
  '/relative',
];

/** A small deterministic generator, so a failure names a case that can be rerun. */
function* views(count: number): Generator<EmailView> {
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  const text = () => HOSTILE[next() % HOSTILE.length]!;
  for (let i = 0; i < count; i++) {
    const view: EmailView = {
      preview: text(),
      heading: text(),
      greeting: text(),
      paragraphs: Array.from({ length: next() % 4 }, text),
    };
    const details = next() % 5;
    if (details > 0 || next() % 2)
      view.details = Array.from({ length: details }, () => ({ label: text(), value: text() }));
    if (next() % 2) view.action = { label: text(), href: HREFS[next() % HREFS.length]! };
    if (next() % 2) view.callout = text();
    if (next() % 2) view.note = text();
    if (next() % 2) view.security = true;
    yield view;
  }
}

const SIMPLE: EmailView = { preview: 'p', heading: 'h', greeting: 'g', paragraphs: ['a'] };

describe('layoutHtml', () => {
  it.each(TEMPLATE_NAMES.flatMap((template) => LOCALES.map((locale) => [template, locale] as const)))(
    'is what React renders for %s in %s',
    (template, locale) => {
      const t = messagesFor(locale);
      const { view } = compose(sampleTemplateData(template), { t, locale });
      expect(layoutHtml(view, locale, t)).toBe(renderLayoutWithReact(view, locale, t));
    },
  );

  it('is what React renders for 300 views of every shape, with hostile and edge-length texts', () => {
    let compared = 0;
    for (const view of views(300)) {
      for (const locale of LOCALES) {
        const t = messagesFor(locale);
        expect(layoutHtml(view, locale, t), JSON.stringify(view)).toBe(
          renderLayoutWithReact(view, locale, t),
        );
        compared++;
      }
    }
    expect(compared).toBe(900);
  });

  it('leaves a javascript: link to React, which blocks it', () => {
    const t = messagesFor('en');
    const view = { ...SIMPLE, action: { label: 'Open', href: 'javascript:alert(1)' } };
    const html = layoutHtml(view, 'en', t);
    expect(html).not.toContain('href="javascript:alert(1)"');
    expect(html).toBe(renderLayoutWithReact(view, 'en', t));
  });

  it("fills a frame it built for another e-mail of the same shape with this e-mail's texts", () => {
    const t = messagesFor('en');
    const first = { preview: 'p1', heading: 'h1', greeting: 'g1', paragraphs: ['a1'] };
    const second = { preview: 'p2 & more', heading: 'h2', greeting: 'g2', paragraphs: ['<a2>'] };
    layoutHtml(first, 'en', t);
    const html = layoutHtml(second, 'en', t);
    expect(html).toContain('&lt;a2&gt;');
    expect(html).not.toContain('a1');
    expect(html).toBe(renderLayoutWithReact(second, 'en', t));
  });
});
