import { describe, expect, it } from 'vitest';
import { desiredFleetSize, edgeParent, placeEdges, planFleet, viewersFromConsumers, type FleetMember, type FleetPolicy } from './fleet.ts';
import type { NodeState } from './placement.ts';

const policy: FleetPolicy = { minNodes: 1, maxNodes: 5, targetUtilization: 0.5, drainGraceMs: 10_000, defaultCapacity: 100 };
const member = (id: string, consumers: number, extra: Partial<FleetMember> = {}): FleetMember => ({
  id,
  state: 'ready',
  capacity: 100,
  consumers,
  hostsOrigin: false,
  ...extra,
});
const none = { unplaced: 0 };

describe('desiredFleetSize', () => {
  it('sizes the fleet so load sits at the target utilisation', () => {
    expect(desiredFleetSize([member('a', 0)], none, policy)).toBe(1);
    expect(desiredFleetSize([member('a', 60), member('b', 60)], none, policy)).toBe(3);
    expect(desiredFleetSize([member('a', 100), member('b', 100)], none, policy)).toBe(4);
  });
  it('stays within min and max', () => {
    expect(desiredFleetSize([], none, { ...policy, minNodes: 2 })).toBe(2);
    expect(desiredFleetSize([member('a', 100), member('b', 100), member('c', 100)], none, policy)).toBe(5);
  });
  it('adds one node for unplaced work unless one is already starting', () => {
    expect(desiredFleetSize([member('a', 10)], { unplaced: 3 }, policy)).toBe(2);
    expect(desiredFleetSize([member('a', 10), member('b', 0, { state: 'starting' })], { unplaced: 3 }, policy)).toBe(2);
    expect(desiredFleetSize([], { unplaced: 1 }, { ...policy, minNodes: 0 })).toBe(1);
  });
  it('never sizes below the nodes hosting origins or edges', () => {
    const members = [member('a', 0, { hostsOrigin: true }), member('b', 0, { hostsEdges: true }), member('c', 0)];
    expect(desiredFleetSize(members, none, policy)).toBe(2);
  });
  it('assumes the default capacity for a fleet that has not reported', () => {
    expect(desiredFleetSize([member('a', 120, { state: 'starting', capacity: 0 })], none, policy)).toBe(3);
  });
});

describe('planFleet', () => {
  it('creates nodes when demand outgrows the fleet', () => {
    expect(planFleet([member('a', 90)], none, policy, 0)).toMatchObject({ want: 2, create: 1, drain: [], remove: [] });
  });
  it('undrains a draining node before creating one', () => {
    const plan = planFleet([member('a', 90), member('b', 5, { state: 'draining', drainingSinceMs: 0 })], none, policy, 1);
    expect(plan).toMatchObject({ create: 0, undrain: ['b'], remove: [] });
  });
  it('drains starting nodes first, then the emptiest, never an origin host', () => {
    const members = [
      member('a', 0, { hostsOrigin: true }),
      member('b', 20),
      member('c', 5),
      member('d', 0, { state: 'starting' }),
    ];
    expect(planFleet(members, none, policy, 0).drain).toEqual(['d', 'c', 'b']);
  });
  it('never drains a node an edge is on', () => {
    expect(planFleet([member('a', 0, { hostsEdges: true }), member('b', 0)], none, policy, 0).drain).toEqual(['b']);
  });
  it('breaks drain ties by id', () => {
    expect(planFleet([member('b', 0), member('a', 0)], none, policy, 0).drain).toEqual(['a']);
  });
  it('removes a draining node once it is empty or its grace has run out', () => {
    const members = [
      member('a', 10),
      member('x', 0, { state: 'draining', drainingSinceMs: 0 }),
      member('y', 4, { state: 'draining', drainingSinceMs: 0 }),
      member('z', 4, { state: 'draining', drainingSinceMs: 5_000 }),
    ];
    expect(planFleet(members, none, policy, 10_000).remove).toEqual(['x', 'y']);
  });
  it('reclaims a draining node that hosts an origin instead of removing it', () => {
    const plan = planFleet([member('a', 0), member('o', 0, { state: 'draining', hostsOrigin: true, drainingSinceMs: 0 })], none, policy, 99_999);
    expect(plan.undrain).toEqual(['o']);
    expect(plan.remove).toEqual([]);
  });
});

describe('placeEdges', () => {
  const n = (id: string, consumers: number, extra: Partial<NodeState> = {}): NodeState => ({ id, ready: true, draining: false, capacity: 100, consumers, ...extra });
  it('picks the least loaded usable nodes not serving the stream', () => {
    const nodes = [n('o', 0), n('a', 50), n('b', 10), n('c', 10, { draining: true }), n('d', 99), n('e', 30)];
    expect(placeEdges(nodes, { origin: 'o', edges: ['e'], viewers: {} }, 2)).toEqual(['b', 'a']);
  });
  it('returns fewer than asked when the fleet is short', () => {
    expect(placeEdges([n('o', 0), n('a', 0, { ready: false })], { origin: 'o', edges: [], viewers: {} }, 3)).toEqual([]);
  });
});

describe('edgeParent', () => {
  it('fills the origin first, then the earliest edge with room, and keeps existing links', () => {
    expect(edgeParent('o', [], 2)).toBe('o');
    expect(edgeParent('o', [{ node: 'a', parent: 'o' }], 2)).toBe('o');
    const links = [{ node: 'a', parent: 'o' }, { node: 'b', parent: 'o' }];
    expect(edgeParent('o', links, 2)).toBe('a');
    expect(edgeParent('o', [...links, { node: 'c', parent: 'a' }, { node: 'd', parent: 'a' }], 2)).toBe('b');
  });
});

describe('viewersFromConsumers', () => {
  it('counts audio + video as one viewer and rounds a lone track up', () => {
    expect(viewersFromConsumers(0)).toBe(0);
    expect(viewersFromConsumers(4)).toBe(2);
    expect(viewersFromConsumers(5)).toBe(3);
  });
});
