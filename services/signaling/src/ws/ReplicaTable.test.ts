import { describe, expect, it } from 'vitest';
import { ReplicaTable } from './ReplicaTable.ts';

const S1 = '11111111-1111-4111-8111-111111111111';
const S2 = '22222222-2222-4222-8222-222222222222';

describe('ReplicaTable', () => {
  it('sums each stream over the replicas heard from in time', () => {
    const t = new ReplicaTable(1000);
    expect(t.setViewers('a', S1, 3, 0)).toBe(true);
    expect(t.setViewers('b', S1, 4, 100)).toBe(true);
    expect(t.setViewers('b', S2, 1, 100)).toBe(true);
    expect(t.setViewers('b', S2, 1, 150)).toBe(false);
    expect(t.viewers(S1, 500)).toBe(7);
    expect(t.viewers(S2, 500)).toBe(1);
    // a was last heard at 0: past the stale time it no longer counts, even before a prune.
    expect(t.viewers(S1, 1050)).toBe(4);
    expect(t.prune(1050)).toEqual([S1]);
    expect(t.viewers(S1, 1050)).toBe(4);
  });

  it('takes a heartbeat as the whole truth of its replica, and says which counts it changed', () => {
    const t = new ReplicaTable(1000);
    t.setViewers('a', S1, 3, 0);
    t.setViewers('a', S2, 2, 0);
    expect(t.heartbeat('a', { viewers: { [S1]: 3 }, publishers: {} }, 500).sort()).toEqual([S2]);
    expect(t.viewers(S2, 500)).toBe(0);
    expect(t.heartbeat('a', { viewers: { [S1]: 5, [S2]: 1 }, publishers: {} }, 900).sort()).toEqual([S1, S2].sort());
    // The heartbeat keeps the replica fresh past the first stale time.
    expect(t.viewers(S1, 1800)).toBe(5);
  });

  it('forgets a replica that said it is going, and an ended stream everywhere', () => {
    const t = new ReplicaTable(1000);
    t.setViewers('a', S1, 3, 0);
    t.setViewers('b', S1, 2, 0);
    t.setPublisher('b', S2, 10, 0);
    expect(t.drop('a')).toEqual([S1]);
    expect(t.drop('nobody')).toEqual([]);
    expect(t.viewers(S1, 1)).toBe(2);
    t.forgetStream(S1);
    t.forgetStream(S2);
    expect(t.viewers(S1, 1)).toBe(0);
    expect(t.publisher(S2, 1)).toBeUndefined();
  });

  it('names the replica of the latest publisher, while it is heard from', () => {
    const t = new ReplicaTable(1000);
    t.setPublisher('a', S1, 100, 100);
    t.setPublisher('b', S1, 200, 200);
    expect(t.publisher(S1, 300)).toEqual({ replica: 'b', since: 200 });
    t.clearPublisher('b', S1);
    expect(t.publisher(S1, 300)).toEqual({ replica: 'a', since: 100 });
    expect(t.publisher(S1, 1200)).toBeUndefined();
    // A heartbeat restates the publishers as well.
    t.heartbeat('a', { viewers: {}, publishers: {} }, 1300);
    expect(t.publisher(S1, 1300)).toBeUndefined();
    t.heartbeat('a', { viewers: {}, publishers: { [S2]: 1250 } }, 1400);
    expect(t.publisher(S2, 1400)).toEqual({ replica: 'a', since: 1250 });
  });
});
