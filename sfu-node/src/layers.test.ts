import { describe, expect, it } from 'vitest';
import { preferredLayersFor, spatialLayerCount } from './layers.ts';

describe('preferredLayersFor', () => {
  it('auto picks the top spatial and temporal layer', () => {
    expect(preferredLayersFor('auto', 'L3T3')).toEqual({ spatialLayer: 2, temporalLayer: 2 });
  });
  it('a fixed layer pins the spatial layer and keeps full frame rate', () => {
    expect(preferredLayersFor(0, 'L3T3')).toEqual({ spatialLayer: 0, temporalLayer: 2 });
    expect(preferredLayersFor(1, 'L3T1')).toEqual({ spatialLayer: 1, temporalLayer: 0 });
  });
  it('rejects a layer the stream does not have', () => {
    expect(() => preferredLayersFor(2, 'L2T3')).toThrow(/out of range 0..1/);
    expect(() => preferredLayersFor(-1, 'L3T3')).toThrow(RangeError);
    expect(() => preferredLayersFor(1.5, 'L3T3')).toThrow(RangeError);
  });
  it('treats a missing scalability mode as a single layer', () => {
    expect(preferredLayersFor('auto', undefined)).toEqual({ spatialLayer: 0, temporalLayer: 0 });
    expect(spatialLayerCount(undefined)).toBe(1);
    expect(spatialLayerCount('L3T3')).toBe(3);
  });
});
