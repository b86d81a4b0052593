import { describe, expect, it } from 'vitest';
import { decideOrigin } from './origin.ts';
import { fleetNode, fleetOf, placementOf } from './fixtures.ts';

describe('decideOrigin', () => {
  it('places a new stream on the least loaded ready node', () => {
    const fleet = fleetOf(fleetNode('a', { consumers: 50 }), fleetNode('b', { consumers: 10 }), fleetNode('c', { draining: true }));
    const d = decideOrigin(undefined, fleet, placementOf(fleet));
    expect(d).toMatchObject({ kind: 'place', node: { pod: 'b' }, lost: undefined });
  });
  it('keeps a placed origin even when its node is unready, so a missed report moves nothing', () => {
    const fleet = fleetOf(fleetNode('a', { ready: false }), fleetNode('b'));
    const d = decideOrigin({ pod: 'a', node: 'n', address: 'x' }, fleet, placementOf(fleet));
    expect(d).toMatchObject({ kind: 'keep', node: { pod: 'a' }, ready: false });
  });
  it('replaces an origin whose pod is gone, naming the lost pod', () => {
    const fleet = fleetOf(fleetNode('b'));
    expect(decideOrigin({ pod: 'a', node: 'n', address: 'x' }, fleet, placementOf(fleet))).toMatchObject({ kind: 'place', node: { pod: 'b' }, lost: 'a' });
  });
  it('reports no capacity when no node can take it', () => {
    const fleet = fleetOf(fleetNode('a', { consumers: 99 }), fleetNode('b', { ready: false }));
    expect(decideOrigin(undefined, fleet, placementOf(fleet))).toEqual({ kind: 'unplaceable', lost: undefined });
  });
});
