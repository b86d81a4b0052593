import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventHandlers } from './EventHandlers.ts';

interface Events {
  count: number;
  name: string;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('EventHandlers', () => {
  it('delivers to subscribers of that event until they unsubscribe', () => {
    const handlers = new EventHandlers<Events>('test');
    const counts: number[] = [];
    const names: string[] = [];
    const off = handlers.on('count', (n) => counts.push(n));
    handlers.on('name', (s) => names.push(s));
    handlers.emit('count', 1);
    off();
    handlers.emit('count', 2);
    handlers.emit('name', 'x');
    expect(counts).toEqual([1]);
    expect(names).toEqual(['x']);
  });

  it('logs a handler that throws and still calls the rest', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const handlers = new EventHandlers<Events>('test');
    const seen: number[] = [];
    handlers.on('count', () => {
      throw new Error('broken');
    });
    handlers.on('count', (n) => seen.push(n));
    handlers.emit('count', 3);
    expect(seen).toEqual([3]);
    expect(log).toHaveBeenCalledWith('[test] count handler failed', expect.any(Error));
  });

  it('lets a handler unsubscribe itself mid-delivery, and clear() drops everyone', () => {
    const handlers = new EventHandlers<Events>('test');
    const seen: string[] = [];
    const off = handlers.on('count', () => {
      seen.push('first');
      off();
    });
    handlers.on('count', () => seen.push('second'));
    handlers.emit('count', 1);
    handlers.emit('count', 2);
    expect(seen).toEqual(['first', 'second', 'second']);
    handlers.clear();
    handlers.emit('count', 3);
    expect(seen).toHaveLength(3);
  });
});
