import { describe, expect, it } from 'vitest';
import { Observable } from './observable.ts';

describe('Observable', () => {
  it('calls a new subscriber immediately with the current value', () => {
    const o = new Observable(1);
    const seen: number[] = [];
    o.subscribe((v) => seen.push(v));
    expect(seen).toEqual([1]);
  });

  it('notifies every subscriber on set and stops after unsubscribe', () => {
    const o = new Observable('a');
    const a: string[] = [];
    const b: string[] = [];
    const offA = o.subscribe((v) => a.push(v));
    o.subscribe((v) => b.push(v));
    o.set('b');
    offA();
    o.set('c');
    expect(a).toEqual(['a', 'b']);
    expect(b).toEqual(['a', 'b', 'c']);
    expect(o.value).toBe('c');
  });

  it('patch merges into object values without losing other fields', () => {
    const o = new Observable({ status: 'idle', viewers: 0 });
    o.patch({ viewers: 3 });
    expect(o.value).toEqual({ status: 'idle', viewers: 3 });
  });

  it('tolerates a listener that unsubscribes itself during notification', () => {
    const o = new Observable(0);
    const seen: number[] = [];
    const off = o.subscribe((v) => {
      seen.push(v);
      if (v === 1) off();
    });
    o.subscribe((v) => seen.push(v * 10));
    o.set(1);
    o.set(2);
    expect(seen).toEqual([0, 0, 1, 10, 20]);
  });
});
