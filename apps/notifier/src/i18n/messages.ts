import { en, type Catalogue } from './en.js';
import { es } from './es.js';
import { DEFAULT_LOCALE, type Locale } from './locale.js';
import { ptBR } from './pt-BR.js';

export type Messages = Catalogue;

/** One catalogue per locale. */
export const catalogues: Readonly<Record<Locale, Messages>> = { en, 'pt-BR': ptBR, es };

export function messagesFor(locale: Locale): Messages {
  return catalogues[locale] ?? catalogues[DEFAULT_LOCALE];
}

/** Fills `{key}` placeholders. A placeholder without a value stays as it is, so tests can spot it. */
export function format(message: string, params: Readonly<Record<string, string | number>> = {}): string {
  return message.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = params[key];
    return value === undefined ? whole : String(value);
  });
}

/** Placeholder names used in a message, sorted (the spec checks every locale uses the same ones). */
export function placeholdersOf(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
}

/** `{ a: { b: 'x' } }` -> `[['a.b', 'x']]`. */
export function flatten(catalogue: object, prefix = ''): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(catalogue)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof value === 'string') out.push([path, value]);
    else if (value !== null && typeof value === 'object') out.push(...flatten(value as object, path));
  }
  return out;
}

/** Looks up an optional entry of a small lookup table (reasons, expressions, ...); unknown keys show as given. */
export function lookup(table: Readonly<Record<string, string>>, key: string, fallback: string): string {
  return Object.prototype.hasOwnProperty.call(table, key) ? (table[key] ?? fallback) : fallback;
}

const dateFormats = new Map<Locale, Intl.DateTimeFormat>();

/** Date and time in the user's locale. Times are in UTC (the address book has no time zone) and say so. */
export function formatDateTime(date: Date, locale: Locale): string {
  let fmt = dateFormats.get(locale);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'long', timeZone: 'UTC' });
    dateFormats.set(locale, fmt);
  }
  return fmt.format(date);
}
