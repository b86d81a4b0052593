import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UntrustedInput } from './UntrustedInput.ts';

function harness() {
  let now = 0;
  const counted: string[] = [];
  const logged: Record<string, unknown>[] = [];
  const input = new UntrustedInput({ count: (s) => counted.push(s), warn: (o) => logged.push(o), intervalMs: 1000, now: () => now });
  return { input, counted, logged, advance: (ms: number) => (now += ms) };
}

describe('UntrustedInput', () => {
  const Schema = z.object({ n: z.number() });

  it('returns parsed values and counts nothing for good input', () => {
    const h = harness();
    expect(h.input.parseJson('redis', Schema, '{"n":1}')).toEqual({ n: 1 });
    expect(h.counted).toEqual([]);
  });

  it('counts every bad message, logs the first and then one summary per interval', () => {
    const h = harness();
    expect(h.input.parseJson('redis', Schema, 'not json')).toBeUndefined();
    expect(h.input.parseJson('redis', Schema, '{"n":"x"}')).toBeUndefined();
    expect(h.input.parse('redis', Schema, null)).toBeUndefined();
    expect(h.counted).toEqual(['redis', 'redis', 'redis']);
    expect(h.logged).toHaveLength(1);
    expect(h.logged[0]).toMatchObject({ source: 'redis', reason: 'not JSON', suppressedSinceLast: 0 });
    h.advance(1000);
    h.input.parseJson('redis', Schema, '[]');
    expect(h.logged).toHaveLength(2);
    expect(h.logged[1]).toMatchObject({ suppressedSinceLast: 2 });
  });

  it('keeps sources apart', () => {
    const h = harness();
    h.input.reject('a', 'x');
    h.input.reject('b', 'y');
    expect(h.logged.map((l) => l.source)).toEqual(['a', 'b']);
  });

  it('never logs the content of the message', () => {
    const h = harness();
    h.input.parseJson('socket', Schema, '{"n":"secret-token-value"}');
    expect(JSON.stringify(h.logged)).not.toContain('secret-token-value');
  });
});
