// The stream key is shown once by the server, so the studio keeps {id, streamKey} in
// localStorage to survive reloads. Anything unreadable there is discarded, not trusted.
import { z } from 'zod';
import { parseStoredJson, readStoredJson, type KeyValueStore } from './storage.ts';

export const STUDIO_STORAGE_KEY = 'vilo.studio.stream';

const Stored = z.object({ id: z.string().min(1), streamKey: z.string().min(1) });
export type StoredStream = z.infer<typeof Stored>;

export function parseStoredStream(raw: string | null): StoredStream | null {
  return parseStoredJson(raw, Stored);
}

export function loadStoredStream(store: KeyValueStore = localStorage): StoredStream | null {
  const stored = readStoredJson(store, STUDIO_STORAGE_KEY, Stored);
  if (!stored) store.removeItem(STUDIO_STORAGE_KEY);
  return stored;
}

export function saveStoredStream(stream: StoredStream, store: KeyValueStore = localStorage): void {
  store.setItem(STUDIO_STORAGE_KEY, JSON.stringify({ id: stream.id, streamKey: stream.streamKey }));
}

export function clearStoredStream(store: KeyValueStore = localStorage): void {
  store.removeItem(STUDIO_STORAGE_KEY);
}
