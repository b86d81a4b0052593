import { describe, expect, it } from 'vitest';
import { desiredEdges, drained, placeOrigin, removableEdges, routeViewer, type NodeState, type StreamState } from './placement.ts';

const node = (id: string, consumers: number, extra: Partial<NodeState> = {}): NodeState => ({
  id,
  ready: true,
  draining: false,
  capacity: 100,
  consumers,
  ...extra,
});
const policy = { viewersPerEdge: 10, minEdges: 0, maxEdges: 2 };

describe('placeOrigin', () => {
  it('picks the least loaded ready node, by fraction of capacity', () => {
    expect(placeOrigin([node('a', 50), node('b', 10), node('c', 30)])).toBe('b');
    expect(placeOrigin([node('a', 50, { capacity: 1000 }), node('b', 10)])).toBe('a');
  });
  it('breaks load ties by id so replicas agree', () => {
    expect(placeOrigin([node('b', 5), node('a', 5), node('c', 5)])).toBe('a');
  });
  it('skips draining, unready, full and excluded nodes', () => {
    const nodes = [node('a', 0, { draining: true }), node('b', 0, { ready: false }), node('c', 99), node('d', 40), node('e', 1)];
    expect(placeOrigin(nodes, ['e'])).toBe('d');
    expect(placeOrigin([node('a', 100)])).toBeUndefined();
  });
});

describe('routeViewer', () => {
  const nodes = [node('o', 10), node('e1', 5), node('e2', 0)];
  it('keeps viewers on the origin until it reaches viewersPerEdge', () => {
    const stream: StreamState = { origin: 'o', viewers: { o: 9 }, edges: [] };
    expect(routeViewer(nodes, stream, policy)).toEqual({ nodeId: 'o', newEdge: false });
  });
  it('opens a new edge on the least loaded free node when serving nodes are full', () => {
    const stream: StreamState = { origin: 'o', viewers: { o: 10 }, edges: [] };
    expect(routeViewer(nodes, stream, policy)).toEqual({ nodeId: 'e2', newEdge: true });
  });
  it('prefers an existing edge with room over opening another', () => {
    const stream: StreamState = { origin: 'o', viewers: { o: 10, e1: 3 }, edges: ['e1'] };
    expect(routeViewer(nodes, stream, policy)).toEqual({ nodeId: 'e1', newEdge: false });
  });
  it('respects maxEdges and reports why nobody can take the viewer', () => {
    const stream: StreamState = { origin: 'o', viewers: { o: 10, e1: 10, e2: 10 }, edges: ['e1', 'e2'] };
    expect(routeViewer(nodes, stream, policy)).toEqual({ nodeId: undefined, reason: 'stream is at its edge limit' });
    expect(routeViewer(nodes, { origin: undefined, viewers: {}, edges: [] }, policy).nodeId).toBeUndefined();
  });
  it('never routes to a draining edge', () => {
    const stream: StreamState = { origin: 'o', viewers: { o: 10, e1: 0 }, edges: ['e1'] };
    const withDraining = [node('o', 10), node('e1', 0, { draining: true }), node('e2', 0)];
    expect(routeViewer(withDraining, stream, policy)).toEqual({ nodeId: 'e2', newEdge: true });
  });
});

describe('edge counts', () => {
  it('wants no edge until the origin is full, then one per viewersPerEdge, within bounds', () => {
    expect(desiredEdges(0, policy)).toBe(0);
    expect(desiredEdges(10, policy)).toBe(0);
    expect(desiredEdges(11, policy)).toBe(1);
    expect(desiredEdges(20, policy)).toBe(1);
    expect(desiredEdges(21, policy)).toBe(2);
    expect(desiredEdges(500, policy)).toBe(2);
    expect(desiredEdges(0, { ...policy, minEdges: 1 })).toBe(1);
  });
  it('removes only empty edges, and only beyond what the audience needs', () => {
    expect(removableEdges({ origin: 'o', viewers: { o: 5, e1: 0, e2: 0 }, edges: ['e2', 'e1'] }, policy)).toEqual(['e1', 'e2']);
    // 25 viewers need both edges, even though one is momentarily empty.
    expect(removableEdges({ origin: 'o', viewers: { o: 10, e1: 0, e2: 15 }, edges: ['e1', 'e2'] }, policy)).toEqual([]);
    // 15 viewers need one edge: the empty one of two can go.
    expect(removableEdges({ origin: 'o', viewers: { o: 10, e1: 0, e2: 5 }, edges: ['e1', 'e2'] }, policy)).toEqual(['e1']);
    expect(removableEdges({ origin: 'o', viewers: { o: 3, e1: 1 }, edges: ['e1'] }, policy)).toEqual([]);
    expect(removableEdges({ origin: 'o', viewers: { o: 1, e1: 0 }, edges: ['e1'] }, { ...policy, minEdges: 1 })).toEqual([]);
  });
});

describe('drained', () => {
  it('is true once empty, or when the grace period has passed', () => {
    expect(drained(node('a', 0), 0, 1, 60_000)).toBe(true);
    expect(drained(node('a', 4), 0, 59_999, 60_000)).toBe(false);
    expect(drained(node('a', 4), 0, 60_000, 60_000)).toBe(true);
  });
});
