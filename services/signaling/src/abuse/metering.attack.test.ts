// Attack: watch a paid stream for free by opening a second receive transport, so the meter
// follows the wrong one. Seen against the old code: 21 s watched, 0 s billed. Now a session
// gets one transport, and the node meters every transport a paid session owns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeriftReceiver, weriftCapabilities } from '@vilokanam/testkit/clients';
import { AbuseHarness } from './AbuseHarness.ts';

const PRICE = 1_000n;
let h: AbuseHarness;

beforeAll(async () => {
  h = await AbuseHarness.start();
}, 60_000);
afterAll(() => h?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a viewer with two receive transports', () => {
  it('is refused the second, and is billed every second watched on the first', async () => {
    const creator = await h.account();
    const stream = await h.liveStream(creator, PRICE);
    const viewer = await h.account(PRICE * 1000n);
    const ws = await h.socket();
    const join = await ws.request('join', { token: await h.viewerToken(viewer, stream.id) });
    expect(join.ok).toBe(true);
    const first = await ws.request('createTransport', { direction: 'recv' });
    const second = await ws.request('createTransport', { direction: 'recv' });
    expect(first.ok).toBe(true);
    expect(second.error?.code).toBe('conflict');

    const caps = weriftCapabilities(join.data.routerRtpCapabilities);
    const consumer = await ws.request('consume', { transportId: first.data.id, producerId: stream.source.producerId, rtpCapabilities: caps });
    expect(consumer.ok).toBe(true);
    const receiver = await WeriftReceiver.connect(ws, first.data, [consumer.data]);
    expect((await ws.request('resumeConsumer', { consumerId: consumer.data.id })).ok).toBe(true);
    await sleep(8000);
    receiver.close();
    ws.close();
    await h.settle();

    const watched = receiver.frameSeconds.size;
    const billed = await h.billedSeconds(join.data.sessionId);
    expect(watched).toBeGreaterThanOrEqual(6);
    // The meter and the player count the same seconds; a join or leave may straddle one edge.
    expect(Math.abs(billed - watched)).toBeLessThanOrEqual(1);
    expect(await h.balance(viewer.id)).toBe(PRICE * 1000n - PRICE * BigInt(billed));
  }, 40_000);
});
