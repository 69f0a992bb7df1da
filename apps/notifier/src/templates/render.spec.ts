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

describe('video analysis e-mail', () => {
  const link = 'https://guardian.example/videos/job-42';
  const succeeded = (overrides: object = {}) =>
    sampleTemplateData('video_analyzed', { resultUrl: link, ...overrides } as never);
  const failed = (reason: string, overrides: object = {}) =>
    succeeded({ status: 'failed', reason, dominantExpression: '', people: 0, durationMs: 0, ...overrides });

  it.each([
    [
      'en',
      'We analysed “birthday.mp4” and saw 3 person(s) in 61 s of video.',
      'happy',
      'See the full results',
    ],
    [
      'pt-BR',
      'Analisamos “birthday.mp4” e vimos 3 pessoa(s) em 61 s de vídeo.',
      'feliz',
      'Ver os resultados completos',
    ],
  ] as const)(
    '%s: names the file, people, duration and expression, and links the result',
    (locale, sentence, expression, label) => {
      const email = renderEmail(succeeded(), locale);
      expect(email.subject).toBe(catalogues[locale].videoAnalyzed.subjectSucceeded);
      for (const part of [email.html, email.text]) {
        expect(part).toContain('birthday.mp4');
        expect(part).toContain(sentence);
        expect(part).toContain(`${expression}.`);
      }
      expect(email.html).toContain(`<a href="${link}"`);
      expect(email.html).toContain(`>${label}</a>`);
      expect(email.text).toContain(`${label}: ${link}`);
    },
  );

  it.each([
    [
      'en',
      'We could not analyse “birthday.mp4”.',
      'The file could not be decoded',
      'Open the video in Guardian',
    ],
    [
      'pt-BR',
      'Não conseguimos analisar “birthday.mp4”.',
      'Não foi possível decodificar o arquivo',
      'Abrir o vídeo no Guardian',
    ],
  ] as const)(
    '%s: explains a failure in words, with the code as a detail, and links the video',
    (locale, sentence, reason, label) => {
      const email = renderEmail(failed('CORRUPT_VIDEO'), locale);
      expect(email.subject).toBe(catalogues[locale].videoAnalyzed.subjectFailed);
      for (const part of [email.html, email.text]) {
        expect(part).toContain(sentence);
        expect(part).toContain(reason);
      }
      expect(email.text).toContain(`- ${catalogues[locale].videoAnalyzed.error}: CORRUPT_VIDEO`);
      expect(email.html).toContain(`<a href="${link}"`);
      expect(email.html).toContain(`>${label}</a>`);
      expect(email.text).toContain(`${label}: ${link}`);
    },
  );

  it.each([
    ['CORRUPT_VIDEO', 'The file could not be decoded: it may be damaged or incomplete.'],
    ['VIDEO_TOO_LONG', 'The video is longer than we can analyse.'],
    ['UNSUPPORTED_FORMAT', 'This type of video file is not supported.'],
    ['ANALYSIS_FAILED', 'Something went wrong on our side. Please try again later.'],
    ['DECODER_UNAVAILABLE', 'Something went wrong on our side. Please try again later.'],
    ['', 'Something went wrong on our side. Please try again later.'],
  ])('says what %s means', (reason, words) => {
    expect(renderEmail(failed(reason), 'en').text).toContain(words);
  });

  it('says no faces were seen rather than "0 person(s)"', () => {
    const email = renderEmail(succeeded({ people: 0, dominantExpression: '', durationMs: 2_400 }), 'en');
    expect(email.text).toContain('We analysed “birthday.mp4” (2 s of video) and saw no faces in it.');
    expect(email.text).not.toContain('person(s)');
  });

  it('reads "your video" for a file without a name', () => {
    const email = renderEmail(failed('VIDEO_TOO_LONG', { fileName: '  ' }), 'en');
    expect(email.text).toContain('We could not analyse your video.');
    expect(email.text).not.toContain('File:');
  });

  it('has no link when the data has none', () => {
    const email = renderEmail(succeeded({ resultUrl: undefined }), 'en');
    expect(email.html).not.toContain('<a ');
    expect(email.text).not.toContain('/videos/');
  });

  it('escapes the file name and the link in HTML', () => {
    const email = renderEmail(
      succeeded({
        fileName: '<img src=x>&"q".mp4',
        resultUrl: 'https://guardian.example/videos/a?x=1&y="2"',
      }),
      'en',
    );
    expect(email.html).not.toContain('<img src=x>');
    expect(email.html).toContain('&lt;img src=x&gt;&amp;&quot;q&quot;.mp4');
    expect(email.html).toContain('href="https://guardian.example/videos/a?x=1&amp;y=&quot;2&quot;"');
    expect(email.text).toContain('<img src=x>&"q".mp4'); // plain text is not HTML
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
