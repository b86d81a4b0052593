import { describe, expect, it } from 'vitest';
import { waitFor } from './wait.ts';

describe('waitFor', () => {
  it('returns the first value that passes', async () => {
    let n = 0;
    expect(await waitFor('n to reach 3', () => ++n, { until: (v) => v >= 3, everyMs: 1 })).toBe(3);
  });

  it('by default waits for something other than undefined, null or false, and retries a read that throws', async () => {
    let n = 0;
    const read = () => {
      n++;
      if (n < 2) throw new Error('not up yet');
      return n < 4 ? false : 'ready';
    };
    expect(await waitFor('ready', read, { everyMs: 1 })).toBe('ready');
  });

  it('names what it waited for and the last value when time runs out', async () => {
    await expect(waitFor('the moon', () => 'cheese', { until: (v) => v === 'rock', timeoutMs: 30, everyMs: 5 })).rejects.toThrow(
      /waiting for the moon \(last: cheese\)/,
    );
  });
});
