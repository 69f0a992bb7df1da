import { describe, expect, it } from 'vitest';

import { LOCALES, resolveLocale } from './locale.js';
import { catalogues, flatten, format, placeholdersOf } from './messages.js';

describe('message catalogues', () => {
  const reference = new Map(flatten(catalogues.en));

  it.each(LOCALES)('%s has exactly the keys of en, none empty, with the same placeholders', (locale) => {
    const entries = new Map(flatten(catalogues[locale]));
    expect([...entries.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [key, value] of entries) {
      expect(value.trim(), `${locale}:${key} is empty`).not.toBe('');
      expect(placeholdersOf(value), `${locale}:${key} placeholders`).toEqual(
        placeholdersOf(reference.get(key) ?? ''),
      );
    }
  });

  it('has translations that differ from English for the subjects', () => {
    for (const locale of ['pt-BR', 'es'] as const) {
      expect(catalogues[locale].loginFailed.subject).not.toBe(catalogues.en.loginFailed.subject);
    }
  });
});

describe('format', () => {
  it('fills placeholders and keeps unknown ones visible', () => {
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });
});

describe('resolveLocale', () => {
  it.each([
    ['pt-BR', 'pt-BR'],
    ['pt_br', 'pt-BR'],
    ['pt', 'pt-BR'],
    ['pt-PT', 'pt-BR'],
    ['es-MX', 'es'],
    ['ES', 'es'],
    ['en-GB', 'en'],
    ['fr-FR', 'en'],
    ['', 'en'],
  ])('maps %s to %s', (input, expected) => {
    expect(resolveLocale(input)).toBe(expected);
  });
  it('falls back to en when nothing is known', () => {
    expect(resolveLocale(undefined)).toBe('en');
  });
});
