import { describe, expect, it } from 'vitest';
import { FreezeDetector } from './FreezeDetector.ts';

describe('FreezeDetector', () => {
  it('counts gaps between frames longer than the threshold, over the last minute', () => {
    const d = new FreezeDetector(600);
    for (let t = 0; t <= 1000; t += 33) d.frame(t);
    d.frame(2000); // a 1 s freeze
    d.frame(2033);
    d.frame(2600); // 567 ms: not one
    expect(d.lastMinute(3000)).toBe(1);
    d.frame(5000);
    expect(d.lastMinute(5000)).toBe(2);
    expect(d.lastMinute(62_001)).toBe(1);
    expect(d.lastMinute(65_001)).toBe(0);
  });
  it('does not count a pause it was told of', () => {
    const d = new FreezeDetector(600);
    d.frame(0);
    d.reset();
    d.frame(5000);
    expect(d.lastMinute(5000)).toBe(0);
  });
});
