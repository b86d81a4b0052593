import { describe, expect, it } from 'vitest';
import { edgePolicy, validateSpec } from './spec.ts';

const base = { creator: 'c', title: 't', category: 'games', pricePerSecond: '10' };

describe('validateSpec', () => {
  it('fills defaults as the CRD does', () => {
    const r = validateSpec(base);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.spec).toMatchObject({ ingest: 'webrtc', edges: { min: 0, max: 8, viewersPerEdge: 200 }, recording: false, ended: false });
      expect(edgePolicy(r.spec)).toEqual({ viewersPerEdge: 200, minEdges: 0, maxEdges: 8 });
    }
  });
  it('refuses edges.min above edges.max, which the schema cannot express without CEL', () => {
    expect(validateSpec({ ...base, edges: { min: 3, max: 1, viewersPerEdge: 5 } })).toEqual({
      ok: false,
      message: 'spec.edges.min (3) exceeds spec.edges.max (1)',
    });
  });
  it('refuses duplicate rids and layers out of resolution order', () => {
    const layer = (rid: string, scale: number) => ({ rid, scaleResolutionDownBy: scale, maxBitrate: 100_000 });
    const dup = validateSpec({ ...base, simulcast: [layer('a', 2), layer('a', 1)] });
    expect(dup.ok ? '' : dup.message).toContain('rids must be unique');
    const order = validateSpec({ ...base, simulcast: [layer('a', 1), layer('b', 2)] });
    expect(order.ok ? '' : order.message).toContain('lowest to highest');
  });
  it('reports type problems of a stored object with their path', () => {
    const r = validateSpec({ ...base, pricePerSecond: 12 as unknown as string });
    expect(r.ok ? '' : r.message).toMatch(/^spec\.pricePerSecond: /);
  });
});
