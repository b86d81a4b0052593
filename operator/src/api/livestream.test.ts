// The viewer-demand annotation signaling writes when a stream's nodes are full.
import { describe, expect, it } from 'vitest';
import { VIEWER_DEMAND_ANNOTATION, VIEWER_DEMAND_TTL_MS, viewerDemand } from './livestream.ts';

const at = (value: string) => ({ [VIEWER_DEMAND_ANNOTATION]: value });

describe('viewerDemand', () => {
  const now = 1_800_000_000_000;
  it('reads a fresh demand', () => {
    expect(viewerDemand(at(`42@${now - 1000}`), now)).toBe(42);
    expect(viewerDemand(at(`7@${now - VIEWER_DEMAND_TTL_MS}`), now)).toBe(7);
  });
  it('ignores a stale, future-dated or malformed demand, and its absence', () => {
    expect(viewerDemand(at(`42@${now - VIEWER_DEMAND_TTL_MS - 1}`), now)).toBeUndefined();
    expect(viewerDemand(at(`42@${now + VIEWER_DEMAND_TTL_MS + 1}`), now)).toBeUndefined();
    for (const bad of ['', '42', '-1@1', '4.2@1', `42@${now}x`, '1234567890@1']) expect(viewerDemand(at(bad), now)).toBeUndefined();
    expect(viewerDemand(undefined, now)).toBeUndefined();
    expect(viewerDemand({}, now)).toBeUndefined();
  });
});
