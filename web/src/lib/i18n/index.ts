// The site's strings, in one catalogue per language (en.json first), through svelte-i18n (ICU
// message syntax: plurals, selects, values). Components use the `$_` store with a message id and
// values; code that is not a component uses `t`. A translation is one more JSON file registered here.
import { addMessages, getLocaleFromNavigator, init, _ as format } from 'svelte-i18n';
import { derived, get } from 'svelte/store';
import en from './en.json';

addMessages('en', en);
init({ fallbackLocale: 'en', initialLocale: typeof navigator === 'undefined' ? 'en' : (getLocaleFromNavigator() ?? 'en') });

type Values = Record<string, string | number>;

/**
 * svelte-i18n hands back a message's raw text when it is asked without values, so ICU quoting
 * (`'{.js}'`) would show literally; always passing values makes every message go through ICU.
 */
export const _ = derived(format, (f) => (id: string, options?: { values?: Values }): string => f(id, { values: options?.values ?? {} }));

/** A message outside a component. */
export function t(id: string, values?: Values): string {
  return get(_)(id, { values: values ?? {} });
}
