import { describe, expect, it } from 'vitest';
import { billableSessions, deliverable, nextSampleDelay, playing, type MeteredConsumer, type MeteredTransport } from './Meter.ts';

const up: MeteredTransport = { closed: false, dtlsState: 'connected', iceState: 'completed' };
const consumer = (over: Partial<MeteredConsumer> = {}): MeteredConsumer => ({ producerId: 'p1', closed: false, paused: false, producerPaused: false, ...over });
const watched = (transport: MeteredTransport, consumers: MeteredConsumer[]) => ({ transport, consumers: () => consumers });

describe('billableSessions', () => {
  const flowing = (id: string) => id === 'p1';

  it('bills a session whose transport delivers a playing consumer of a flowing producer', () => {
    expect(billableSessions(new Map([['s', [watched(up, [consumer()])]]]), flowing)).toEqual(['s']);
  });

  it('follows every transport of a session, and bills it once', () => {
    const idle = watched(up, []);
    const busy = watched(up, [consumer()]);
    expect(billableSessions(new Map([['s', [idle, busy]]]), flowing)).toEqual(['s']);
    expect(billableSessions(new Map([['s', [busy, busy]]]), flowing)).toEqual(['s']);
  });

  it('does not bill paused, producer-paused, closed or frozen media, nor a transport that cannot deliver', () => {
    const cases = [
      watched(up, [consumer({ paused: true })]),
      watched(up, [consumer({ producerPaused: true })]),
      watched(up, [consumer({ closed: true })]),
      watched(up, [consumer({ producerId: 'stalled' })]),
      watched({ ...up, dtlsState: 'connecting' }, [consumer()]),
      watched({ ...up, iceState: 'disconnected' }, [consumer()]),
      watched({ ...up, closed: true }, [consumer()]),
    ];
    for (const c of cases) expect(billableSessions(new Map([['s', [c]]]), flowing)).toEqual([]);
  });

  it('has small, separate predicates', () => {
    expect(deliverable(up)).toBe(true);
    expect(deliverable({ ...up, iceState: 'connected' })).toBe(true);
    expect(deliverable({ ...up, iceState: 'new' })).toBe(false);
    expect(playing(consumer())).toBe(true);
    expect(playing(consumer({ paused: true }))).toBe(false);
  });
});

describe('nextSampleDelay', () => {
  it('aims at the next half second', () => {
    expect(nextSampleDelay(1_000_000)).toBe(500);
    expect(nextSampleDelay(1_000_499)).toBe(1);
    expect(nextSampleDelay(1_000_500)).toBe(1000);
    expect(nextSampleDelay(1_000_900)).toBe(600);
  });

  it('labels consecutive samples with consecutive seconds whatever the timer lateness under 500 ms', () => {
    // Each timer fires late by up to 499 ms (a loaded event loop); the next is aimed from there.
    let now = 1_700_000_000_123;
    let rng = 7;
    const late = () => ((rng = (rng * 1103515245 + 12345) % 2 ** 31) % 500);
    const seconds: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      now += nextSampleDelay(now) + late();
      seconds.push(Math.floor(now / 1000));
    }
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]! - seconds[i - 1]!).toBe(1);
  });
});
