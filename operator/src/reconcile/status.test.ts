import { describe, expect, it } from 'vitest';
import { buildStatus, type StatusFacts } from './status.ts';

const now = new Date('2026-01-01T00:00:00Z');
const ref = { pod: 'sfu-a', node: 'n1', address: '10.0.0.1' };
const facts = (extra: Partial<StatusFacts>): StatusFacts => ({ generation: 4, now, lifecycle: 'active', viewers: 0, producers: 0, viewersPerEdge: 10, ...extra });
const cond = (s: ReturnType<typeof buildStatus>, type: string) => s.conditions!.find((c) => c.type === type)!;

describe('buildStatus', () => {
  it('is Live with every condition true once the origin router is up and edges match', () => {
    const s = buildStatus(undefined, facts({ origin: { placed: true, ref, routerReady: true, nodeReady: true }, edges: { edges: [], desired: 0, short: 0 }, producers: 2 }));
    expect(s).toMatchObject({ phase: 'Live', origin: ref, edgeCount: 0, observedGeneration: 4 });
    expect(s.conditions!.map((c) => [c.type, c.status])).toEqual([
      ['Scheduled', 'True'],
      ['OriginReady', 'True'],
      ['EdgesReady', 'True'],
      ['Publishing', 'True'],
      ['Ready', 'True'],
    ]);
    expect(s.conditions!.every((c) => c.observedGeneration === 4)).toBe(true);
  });
  it('is Scheduling while the router opens, with Ready carrying the blocking reason', () => {
    const s = buildStatus(undefined, facts({ origin: { placed: true, ref, routerReady: false, nodeReady: true } }));
    expect(s.phase).toBe('Scheduling');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'RouterPending' });
  });
  it('says NoCapacity when nothing can host the origin', () => {
    const s = buildStatus(undefined, facts({ origin: { placed: false, reason: 'NoCapacity', message: 'no sfu-node has room (0 ready)' } }));
    expect(s.origin).toBeUndefined();
    expect(cond(s, 'Scheduled')).toMatchObject({ status: 'False', reason: 'NoCapacity' });
    expect(cond(s, 'Ready').reason).toBe('NoCapacity');
  });
  it('stays Live but not Ready while edges are short', () => {
    const s = buildStatus(undefined, facts({ origin: { placed: true, ref, routerReady: true, nodeReady: true }, edges: { edges: [], desired: 2, short: 2 }, viewers: 30 }));
    expect(s.phase).toBe('Live');
    expect(cond(s, 'EdgesReady')).toMatchObject({ status: 'False', reason: 'NoCapacity', message: '0 of 2 edges placed for 30 viewers: no sfu-node has room' });
    expect(cond(s, 'Ready').status).toBe('False');
  });
  it('is Failed on an invalid spec and keeps the routing it had', () => {
    const prev = { phase: 'Live' as const, origin: ref, edges: [], edgeCount: 0, viewers: 3 };
    const s = buildStatus(prev, facts({ lifecycle: 'invalid', invalidMessage: 'spec.edges.min (3) exceeds spec.edges.max (1)' }));
    expect(s).toMatchObject({ phase: 'Failed', origin: ref, viewers: 3 });
    expect(cond(s, 'Ready')).toMatchObject({ reason: 'InvalidSpec', message: 'spec.edges.min (3) exceeds spec.edges.max (1)' });
  });
  it('is Draining while released for deletion and Ended once the creator stopped', () => {
    expect(buildStatus(undefined, facts({ lifecycle: 'releasing' })).phase).toBe('Draining');
    const ended = buildStatus({ phase: 'Live', origin: ref }, facts({ lifecycle: 'ended' }));
    expect(ended).toMatchObject({ phase: 'Ended', edgeCount: 0, viewers: 0 });
    expect(ended.origin).toBeUndefined();
    expect(cond(ended, 'Ready').reason).toBe('Ended');
  });
});
