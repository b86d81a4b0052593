import { describe, expect, it } from 'vitest';
import { formatCount, maskSecret } from './format.ts';

describe('formatCount', () => {
  it('keeps small numbers exact and compacts large ones', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(950)).toBe('950');
    expect(formatCount(1234)).toBe('1.2K');
    expect(formatCount(2_500_000)).toBe('2.5M');
  });

  it('never shows negative counts', () => {
    expect(formatCount(-4)).toBe('0');
  });
});

describe('maskSecret', () => {
  it('hides every character and clamps the length', () => {
    expect(maskSecret('abc')).toBe('••••••••');
    expect(maskSecret('x'.repeat(12))).toBe('•'.repeat(12));
    expect(maskSecret('x'.repeat(100))).toHaveLength(24);
    expect(maskSecret('secret-key-value')).not.toContain('s');
  });
});
