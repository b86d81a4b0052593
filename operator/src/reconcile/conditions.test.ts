import { describe, expect, it } from 'vitest';
import { getCondition, isTrue, sameStatus, setCondition } from './conditions.ts';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:01:00Z');

describe('setCondition', () => {
  it('stamps the transition time in whole seconds and the generation', () => {
    const c = setCondition([], { type: 'Ready', status: 'False', reason: 'NoCapacity', message: 'm' }, 3, t0);
    expect(c).toEqual([{ type: 'Ready', status: 'False', reason: 'NoCapacity', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 3 }]);
  });
  it('keeps lastTransitionTime while the status holds, and moves it on a flip', () => {
    let c = setCondition([], { type: 'Ready', status: 'False', reason: 'A', message: 'a' }, 1, t0);
    c = setCondition(c, { type: 'Ready', status: 'False', reason: 'B', message: 'b' }, 2, t1);
    expect(c[0]).toMatchObject({ reason: 'B', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 2 });
    c = setCondition(c, { type: 'Ready', status: 'True', reason: 'Live', message: 'ok' }, 2, t1);
    expect(c[0]!.lastTransitionTime).toBe('2026-01-01T00:01:00Z');
  });
  it('keeps a fixed order so an unchanged status compares equal', () => {
    let c = setCondition([], { type: 'Ready', status: 'True', reason: 'Live', message: '' }, 1, t0);
    c = setCondition(c, { type: 'Scheduled', status: 'True', reason: 'OriginPlaced', message: '' }, 1, t0);
    expect(c.map((x) => x.type)).toEqual(['Scheduled', 'Ready']);
    expect(isTrue({ conditions: c }, 'Ready')).toBe(true);
    expect(getCondition({ conditions: c }, 'EdgesReady')).toBeUndefined();
  });
});

describe('sameStatus', () => {
  it('ignores key order and undefined fields', () => {
    expect(sameStatus({ phase: 'Live', viewers: 1 }, { viewers: 1, phase: 'Live', origin: undefined })).toBe(true);
    expect(sameStatus({ phase: 'Live' }, { phase: 'Scheduling' })).toBe(false);
  });
});
