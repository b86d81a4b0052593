// The stream key is shown once by the server, so the studio keeps {id, streamKey} in
// localStorage to survive reloads. Anything unreadable there is discarded, not trusted.
import { z } from 'zod';

export const STUDIO_STORAGE_KEY = 'vilo.studio.stream';

const Stored = z.object({ id: z.string().min(1), streamKey: z.string().min(1) });
export type StoredStream = z.infer<typeof Stored>;

type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function parseStoredStream(raw: string | null): StoredStream | null {
  if (!raw) return null;
  try {
    const parsed = Stored.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function loadStoredStream(store: KeyValueStore = localStorage): StoredStream | null {
  const stored = parseStoredStream(store.getItem(STUDIO_STORAGE_KEY));
  if (!stored) store.removeItem(STUDIO_STORAGE_KEY);
  return stored;
}

export function saveStoredStream(stream: StoredStream, store: KeyValueStore = localStorage): void {
  store.setItem(STUDIO_STORAGE_KEY, JSON.stringify({ id: stream.id, streamKey: stream.streamKey }));
}

export function clearStoredStream(store: KeyValueStore = localStorage): void {
  store.removeItem(STUDIO_STORAGE_KEY);
}
