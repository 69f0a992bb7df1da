import { render } from '@react-email/render';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';

import { LOCALES } from '../i18n/locale.js';
import { catalogues, messagesFor } from '../i18n/messages.js';
import { compose } from './emails.js';
import { sampleTemplateData } from './fixtures.js';
import { Layout } from './layout.js';
import { renderEmail } from './render.js';
import { TEMPLATE_NAMES } from './template-data.js';

const cases = TEMPLATE_NAMES.flatMap((template) => LOCALES.map((locale) => [template, locale] as const));

describe('renderEmail', () => {
  it.each(cases)('renders %s in %s with HTML, text and no missing strings', (template, locale) => {
    const email = renderEmail(sampleTemplateData(template), locale);
    expect(email.subject.trim()).not.toBe('');
    expect(email.html).toContain(`lang="${locale}"`);
    expect(email.text.trim().length).toBeGreaterThan(40);
    for (const out of [email.subject, email.html, email.text]) {
      expect(out).not.toMatch(/\{\w+\}/); // an unfilled placeholder
      expect(out).not.toContain('undefined');
      expect(out).not.toContain('[object Object]');
    }
    expect(email.text).toContain(catalogues[locale].common.footer.slice(0, 30));
  });

  it('shows IP, device and localized method in a login alert', () => {
    const email = renderEmail(sampleTemplateData('login_succeeded', { method: 'face' } as never), 'pt-BR');
    expect(email.subject).toBe('Novo acesso à sua conta Guardian');
    expect(email.html).toContain('203.0.113.7');
    expect(email.html).toContain('Chrome 120 em Windows');
    expect(email.text).toContain('reconhecimento facial');
    expect(email.text).toContain('21 de novembro de 2026');
  });

  it('carries the digest count and the advice in a failed-login alert', () => {
    const email = renderEmail(sampleTemplateData('login_failed', { failures: 20 } as never), 'es');
    expect(email.text).toContain('Hubo 20 intentos fallidos');
    expect(email.text).toContain(catalogues.es.loginFailed.advice.slice(0, 40));
  });

  it('uses the single-attempt wording for one failure', () => {
    const email = renderEmail(sampleTemplateData('login_failed', { failures: 1 } as never), 'en');
    expect(email.text).toContain(catalogues.en.loginFailed.bodyOne);
  });

  it('shows the rejection reason, and none for an approval', () => {
    const rejected = renderEmail(sampleTemplateData('document_reviewed'), 'en');
    expect(rejected.subject).toBe('Your document was rejected');
    expect(rejected.text).toContain('The photo is blurred.');
    const approved = renderEmail(
      sampleTemplateData('document_reviewed', { decision: 'approved', reason: '' } as never),
      'en',
    );
    expect(approved.subject).toBe('Your document was approved');
    expect(approved.text).not.toContain('Reason');
    expect(approved.html).not.toContain('Reason');
  });

  it('escapes user-controlled text in HTML', () => {
    const email = renderEmail(sampleTemplateData('welcome', { name: '<script>x</script>' } as never), 'en');
    expect(email.html).not.toContain('<script>x</script>');
    expect(email.html).toContain('&lt;script&gt;');
  });
});

describe('renderEmail HTML', () => {
  it.each(TEMPLATE_NAMES)('is the document @react-email/render produces for %s', async (template) => {
    const data = sampleTemplateData(template);
    const t = messagesFor('pt-BR');
    const { view } = compose(data, { t, locale: 'pt-BR' });
    const reference = await render(createElement(Layout, { ...view, locale: 'pt-BR', t }));
    // Streaming rendering adds marker comments (<!--$-->, <!--html-->, ...) that mean nothing to a mail client.
    const withoutSuspenseMarkers = reference.replace(/<!--[^>]*-->/g, '');
    expect(renderEmail(data, 'pt-BR').html).toBe(withoutSuspenseMarkers);
  });
});
