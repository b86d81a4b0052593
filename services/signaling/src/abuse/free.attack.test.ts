// Attack: fill Redis (or the in-process tick store) by watching free streams, whose ticks
// nobody bills and nobody clears; the old worker also logged an error for them every pass.
// Free sessions are not metered now, so they leave nothing behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeViewer } from '@vilokanam/testkit/clients';
import { AbuseHarness } from './AbuseHarness.ts';

let h: AbuseHarness;

beforeAll(async () => {
  h = await AbuseHarness.start();
}, 60_000);
afterAll(() => h?.close());

describe('free viewing', () => {
  it('records no ticks, opens no billing session, and the worker stays quiet', async () => {
    const stream = await h.liveStream(await h.account());
    const viewers = [new NodeViewer(h.url, stream.id), new NodeViewer(h.url, stream.id), new NodeViewer(h.url, stream.id)];
    await Promise.all(viewers.map((v) => v.start()));
    // Long enough for windows to close and the worker to make many passes.
    await new Promise((r) => setTimeout(r, 6000));
    expect(viewers.every((v) => v.stats.frames > 100)).toBe(true);
    expect(await h.ticks.indexedWindows()).toBe(0);
    expect(h.ticks.orphans()).toEqual([]);
    const { sessions } = await h.ticks.read([], viewers.map((v) => v.sessionId!));
    expect(sessions.every((s) => s === undefined)).toBe(true);
    expect(h.sfu.meter?.sessions).toBe(0);
    for (const v of viewers) v.close();
    expect(h.logs.errors()).toEqual([]);
    const settled = await h.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM settled_windows');
    expect(settled[0]!.n).toBe(0);
  }, 40_000);
});
