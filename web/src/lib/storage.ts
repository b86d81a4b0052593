// Values this app keeps in localStorage across reloads. Storage is shared with whatever ran on
// this origin before (older builds, devtools, other tabs), so what comes back is checked, not trusted.
import type { z } from 'zod';

/** The part of Storage the app uses; tests pass an in-memory one. */
export type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** `raw` as JSON of the shape `schema` describes; null for anything missing, malformed or off-shape. */
export function parseStoredJson<T>(raw: string | null, schema: z.ZodType<T>): T | null {
  if (!raw) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function readStoredJson<T>(store: KeyValueStore, key: string, schema: z.ZodType<T>): T | null {
  return parseStoredJson(store.getItem(key), schema);
}
