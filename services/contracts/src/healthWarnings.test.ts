import { describe, expect, it } from 'vitest';
import type { IngestLayer } from './health.ts';
import { healthWarnings } from './healthWarnings.ts';

const layer = (over: Partial<IngestLayer> = {}): IngestLayer => ({
  kind: 'video', rid: null, mimeType: 'video/H264', bitrate: 1_500_000, score: 10, packetsLost: 0, fractionLost: 0, jitter: 0, roundTripTime: null, keyFrameInterval: 2, frameRate: 30, ...over,
});

describe('healthWarnings', () => {
  it('has nothing to say about a healthy stream', () => {
    expect(healthWarnings([layer({ rid: 'q', bitrate: 150_000 }), layer({ rid: 'f' }), layer({ kind: 'audio', keyFrameInterval: null })])).toEqual([]);
  });
  it('warns of long keyframe intervals, on any layer', () => {
    expect(healthWarnings([layer(), layer({ rid: 'q', keyFrameInterval: 10 })]).map((w) => w.code)).toEqual(['keyframe_interval']);
    expect(healthWarnings([layer({ keyFrameInterval: 4 })])).toEqual([]);
  });
  it('judges the bitrate by the best layer', () => {
    expect(healthWarnings([layer({ bitrate: 200_000 })]).map((w) => w.code)).toEqual(['bitrate_low']);
    expect(healthWarnings([layer({ rid: 'q', bitrate: 100_000 }), layer({ rid: 'f', bitrate: 900_000 })])).toEqual([]);
    expect(healthWarnings([layer({ bitrate: 12_000_000 })])[0]!.message).toMatch(/12\.0 Mbit\/s/);
  });
  it('warns of loss above 5%, and of no video at all', () => {
    expect(healthWarnings([layer({ fractionLost: 0.08 })])[0]!.message).toMatch(/^8% of packets/);
    expect(healthWarnings([layer({ kind: 'audio' })]).map((w) => w.code)).toEqual(['no_video']);
  });
});
