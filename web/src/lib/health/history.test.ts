import { describe, expect, it } from 'vitest';
import type { IngestLayer } from '@vilokanam/contracts/health';
import { HISTORY_POINTS, layerLabel, pushSample, sparkPath } from './history.ts';

const layer = (rid: string | null, bitrate: number, kind: 'audio' | 'video' = 'video'): IngestLayer => ({
  kind, rid, mimeType: 'video/VP8', bitrate, score: 10, packetsLost: 0, fractionLost: 0, jitter: 0, roundTripTime: null, keyFrameInterval: null, frameRate: null,
});

describe('health history', () => {
  it('names layers by rid and kind', () => {
    expect([layerLabel(layer('q', 1)), layerLabel(layer(null, 1)), layerLabel(layer(null, 1, 'audio'))]).toEqual(['video q', 'video', 'audio']);
  });
  it('keeps a bounded series per layer, with 0 where a layer went missing', () => {
    let s = pushSample(new Map(), [layer('q', 100), layer('f', 900)], (l) => l.bitrate);
    s = pushSample(s, [layer('f', 800)], (l) => l.bitrate);
    expect(Object.fromEntries(s)).toEqual({ 'video q': [100, 0], 'video f': [900, 800] });
    for (let i = 0; i < HISTORY_POINTS + 5; i++) s = pushSample(s, [layer('f', i)], (l) => l.bitrate);
    expect(s.get('video f')).toHaveLength(HISTORY_POINTS);
    expect(s.get('video f')!.at(-1)).toBe(HISTORY_POINTS + 4);
  });
  it('draws right-aligned, clamped to the scale', () => {
    expect(sparkPath([0, 50, 200], 100, 59, 10)).toBe('M57.0,10.0 L58.0,5.0 L59.0,0.0');
    expect(sparkPath([], 100, 59, 10)).toBe('');
  });
});
