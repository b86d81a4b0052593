import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseStoredJson, readStoredJson } from './storage.ts';

const Shape = z.object({ id: z.string().min(1), n: z.number() });

describe('stored JSON', () => {
  it('returns the value when it parses and has the shape, without extra fields', () => {
    expect(parseStoredJson('{"id":"a","n":1,"extra":true}', Shape)).toEqual({ id: 'a', n: 1 });
  });

  it('returns null for missing, malformed or off-shape values instead of throwing', () => {
    expect(parseStoredJson(null, Shape)).toBeNull();
    expect(parseStoredJson('', Shape)).toBeNull();
    expect(parseStoredJson('{', Shape)).toBeNull();
    expect(parseStoredJson('null', Shape)).toBeNull();
    expect(parseStoredJson('{"id":"","n":1}', Shape)).toBeNull();
    expect(parseStoredJson('{"id":"a","n":"1"}', Shape)).toBeNull();
  });

  it('reads from a store by key, leaving the entry in place', () => {
    const map = new Map([['k', '{"id":"a","n":2}']]);
    const store = { getItem: (k: string) => map.get(k) ?? null, setItem: () => {}, removeItem: () => {} };
    expect(readStoredJson(store, 'k', Shape)).toEqual({ id: 'a', n: 2 });
    expect(readStoredJson(store, 'other', Shape)).toBeNull();
    expect(map.has('k')).toBe(true);
  });
});
