/**
 * Customers' languages as the platforms report them (Telegram's `language_code` such as `pt-br`
 * or `en`, Meta's `locale` such as `pt_BR`), as one kind of tag: `pt-BR`, `en`.
 */

const tagPattern = /^([a-z]{2,3})(?:-([a-z]{2}|[0-9]{3}|[a-z]{4}))?$/;

/** The language tag of a platform's code (`pt_BR` → `pt-BR`, `EN` → `en`); undefined when it is not one. */
export function languageTag(raw: string | undefined | null): string | undefined {
  if (!raw) return undefined;
  const match = tagPattern.exec(raw.trim().replace(/_/g, '-').toLowerCase());
  if (!match) return undefined;
  const [, language, region] = match;
  if (!region) return language;
  return `${language}-${region.length === 4 ? region[0]!.toUpperCase() + region.slice(1) : region.toUpperCase()}`;
}

/** The keys to look a text up by for a chat's language, most specific first: `pt-BR`, then `pt`. */
export function languageKeys(language: string | null | undefined): string[] {
  if (!language) return [];
  const primary = language.split('-')[0]!;
  return primary !== language ? [language, primary] : [language];
}

/** The text of the first key of `language` that `texts` has, else its `default`. */
export function textForLanguage<T>(texts: Record<string, T | undefined>, language: string | null | undefined): T | undefined {
  for (const key of languageKeys(language)) if (texts[key] !== undefined) return texts[key];
  return texts['default'];
}
