/** The locales Guardian writes e-mail in. `en` is the fallback for anything else. */
export const LOCALES = ['en', 'pt-BR', 'es'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/**
 * Maps whatever the user's profile says (`pt_br`, `pt`, `es-MX`, `EN-us`, empty) to a supported locale:
 * exact tag first, then the language alone (any Portuguese -> pt-BR, any Spanish -> es), else `en`.
 */
export function resolveLocale(requested: string | undefined | null): Locale {
  const tag = (requested ?? '').trim().replace(/_/g, '-').toLowerCase();
  if (tag === '') return DEFAULT_LOCALE;
  const exact = LOCALES.find((l) => l.toLowerCase() === tag);
  if (exact) return exact;
  const language = tag.split('-')[0];
  if (language === 'pt') return 'pt-BR';
  if (language === 'es') return 'es';
  return DEFAULT_LOCALE;
}
