// The site's strings, in one catalogue per language (en.json first), through svelte-i18n (ICU
// message syntax: plurals, selects, values). Components use the `$_` store with a message id and
// values; code that is not a component uses `t`. A translation is one more JSON file registered here.
import { addMessages, getLocaleFromNavigator, init, _ } from 'svelte-i18n';
import { get } from 'svelte/store';
import en from './en.json';

addMessages('en', en);
init({ fallbackLocale: 'en', initialLocale: typeof navigator === 'undefined' ? 'en' : (getLocaleFromNavigator() ?? 'en') });

export { _ };

/** A message outside a component. */
export function t(id: string, values?: Record<string, string | number>): string {
  return get(_)(id, values ? { values } : undefined);
}
