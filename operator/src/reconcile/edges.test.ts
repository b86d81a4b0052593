import { describe, expect, it } from 'vitest';
import type { EdgeStatus } from '../api/livestream.ts';
import { decideEdges, type EdgeInput } from './edges.ts';
import { fleetNode, fleetOf, placementOf } from './fixtures.ts';

const policy = { viewersPerEdge: 10, minEdges: 0, maxEdges: 2 };
const viewers = (n: number) => ({ s: { producers: 2, consumers: n * 2 } });
const edge = (pod: string, parent = 'o'): EdgeStatus => ({ pod, node: `node-${pod}`, address: 'x', parent, viewers: 0 });

function input(fleet: ReturnType<typeof fleetOf>, current: EdgeStatus[], extra: Partial<EdgeInput> = {}): EdgeInput {
  return { streamId: 's', origin: 'o', current, fleet, placement: placementOf(fleet), policy, fanout: 4, shrink: false, ...extra };
}

describe('decideEdges', () => {
  it('adds edges on the least loaded free nodes while viewers exceed what the serving nodes carry', () => {
    const fleet = fleetOf(fleetNode('o', { streams: viewers(25) }), fleetNode('a', { consumers: 30 }), fleetNode('b'));
    const d = decideEdges(input(fleet, []));
    expect(d).toMatchObject({ viewers: 25, desired: 2, added: ['b', 'a'], short: 0 });
    expect(d.edges.map((e) => [e.pod, e.parent])).toEqual([['b', 'o'], ['a', 'o']]);
  });
  it('adds an edge at once for viewers signaling admitted before the reports show them', () => {
    const fleet = fleetOf(fleetNode('o', { streams: viewers(10) }), fleetNode('a'));
    expect(decideEdges(input(fleet, []))).toMatchObject({ viewers: 10, desired: 0, added: [] });
    expect(decideEdges(input(fleet, [], { demand: 11 }))).toMatchObject({ viewers: 11, desired: 1, added: ['a'] });
    // The reports win once they show more than was asked for.
    const grown = fleetOf(fleetNode('o', { streams: viewers(25) }), fleetNode('a'), fleetNode('b'));
    expect(decideEdges(input(grown, [], { demand: 11 }))).toMatchObject({ viewers: 25, desired: 2 });
  });
  it('stops at edges.max and reports the shortfall when nodes run out', () => {
    const fleet = fleetOf(fleetNode('o', { streams: viewers(100) }), fleetNode('a'));
    expect(decideEdges(input(fleet, []))).toMatchObject({ desired: 2, added: ['a'], short: 1 });
  });
  it('keeps edges.min even without an audience', () => {
    const fleet = fleetOf(fleetNode('o'), fleetNode('a'));
    expect(decideEdges(input(fleet, [], { policy: { ...policy, minEdges: 1 } }))).toMatchObject({ desired: 1, added: ['a'] });
  });
  it('holds surplus edges until shrink is allowed, then removes only empty ones', () => {
    const fleet = fleetOf(fleetNode('o', { streams: viewers(3) }), fleetNode('a', { streams: viewers(1) }), fleetNode('b', { streams: viewers(0) }));
    const held = decideEdges(input(fleet, [edge('a'), edge('b')]));
    expect(held).toMatchObject({ removed: [], surplus: 2 });
    const shrunk = decideEdges(input(fleet, [edge('a'), edge('b')], { shrink: true }));
    expect(shrunk.removed).toEqual(['b']);
    expect(shrunk.edges.map((e) => e.pod)).toEqual(['a']);
  });
  it('drops edges whose pod is gone and re-parents their children', () => {
    const fleet = fleetOf(fleetNode('o', { streams: viewers(20) }), fleetNode('b', { streams: viewers(10) }), fleetNode('c'));
    const d = decideEdges(input(fleet, [edge('a'), edge('b', 'a')]));
    expect(d.lost).toEqual(['a']);
    expect(d.edges.find((e) => e.pod === 'b')!.parent).toBe('o');
    expect(d.added).toEqual(['c']);
  });
  it('moves an idle edge off a draining node', () => {
    const fleet = fleetOf(fleetNode('o', { streams: viewers(15) }), fleetNode('a', { draining: true }), fleetNode('b'));
    const d = decideEdges(input(fleet, [edge('a')]));
    expect(d).toMatchObject({ removed: ['a'], added: ['b'] });
  });
  it('chains new edges from an edge once the origin feeds `fanout` of them', () => {
    const fleet = fleetOf(fleetNode('o', { streams: viewers(40) }), fleetNode('a'), fleetNode('b'));
    const d = decideEdges(input(fleet, [], { fanout: 1, policy: { ...policy, maxEdges: 3 } }));
    expect(d.edges.map((e) => [e.pod, e.parent])).toEqual([['a', 'o'], ['b', 'a']]);
  });
});
