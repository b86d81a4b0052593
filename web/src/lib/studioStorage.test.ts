import { describe, expect, it } from 'vitest';
import {
  STUDIO_STORAGE_KEY,
  clearStoredStream,
  loadStoredStream,
  parseStoredStream,
  saveStoredStream,
} from './studioStorage.ts';

function memoryStore() {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
}

describe('studio storage', () => {
  it('round-trips id and key under vilo.studio.stream, dropping extra fields', () => {
    const store = memoryStore();
    saveStoredStream({ id: 's1', streamKey: 'sk_secret', extra: 1 } as never, store);
    expect(JSON.parse(store.map.get(STUDIO_STORAGE_KEY) ?? '')).toEqual({ id: 's1', streamKey: 'sk_secret' });
    expect(loadStoredStream(store)).toEqual({ id: 's1', streamKey: 'sk_secret' });
  });

  it('rejects malformed or incomplete values', () => {
    expect(parseStoredStream(null)).toBeNull();
    expect(parseStoredStream('{')).toBeNull();
    expect(parseStoredStream('{"id":"s1"}')).toBeNull();
    expect(parseStoredStream('{"id":"","streamKey":"k"}')).toBeNull();
    expect(parseStoredStream('"string"')).toBeNull();
  });

  it('removes a corrupt entry on load so it is not retried forever', () => {
    const store = memoryStore();
    store.setItem(STUDIO_STORAGE_KEY, 'garbage');
    expect(loadStoredStream(store)).toBeNull();
    expect(store.map.has(STUDIO_STORAGE_KEY)).toBe(false);
  });

  it('clears the entry', () => {
    const store = memoryStore();
    saveStoredStream({ id: 'a', streamKey: 'b' }, store);
    clearStoredStream(store);
    expect(loadStoredStream(store)).toBeNull();
  });
});
