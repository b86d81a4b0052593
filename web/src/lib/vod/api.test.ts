import { describe, expect, it } from 'vitest';
import { clock, previewTile } from './api.ts';

describe('VOD helpers', () => {
  it('shows times as a player does', () => {
    expect([0, 9.9, 83.4, 600, 3723].map(clock)).toEqual(['0:00', '0:09', '1:23', '10:00', '1:02:03']);
    expect(clock(-5)).toBe('0:00');
  });
  it('finds the preview frame for a time in the sprite grid, clamped to the frames there are', () => {
    const preview = { interval: 4, columns: 10, count: 25, width: 160, height: 90 };
    expect(previewTile(preview, 0)).toEqual({ x: -0, y: -0 });
    expect(previewTile(preview, 45)).toEqual({ x: -160, y: -90 });
    expect(previewTile(preview, 10_000)).toEqual({ x: -640, y: -180 });
  });
});
