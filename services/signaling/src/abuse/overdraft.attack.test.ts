// Attack: keep watching after the balance runs out, by holding several sessions or by
// reconnecting (or rejoining with a token issued while the balance was still there). Overdraft
// is a property of the account: settlement stops every session of it before the money is
// gone, a join checks the balance against all of the account's sessions, and every second
// that was watched is billed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeriftReceiver, weriftCapabilities } from '@vilokanam/testkit/clients';
import type { WsTestClient } from '@vilokanam/testkit/clients';
import { AbuseHarness, type Account, type LiveStream } from './AbuseHarness.ts';
import { waitFor } from '@vilokanam/testkit';

const PRICE = 1_000n;
// W 2 s + grace 1 s + one 250 ms pass + 2 s: what settlement keeps in reserve per session.
const RESERVE_SECONDS = 6n;
let h: AbuseHarness;
let stream: LiveStream;

beforeAll(async () => {
  h = await AbuseHarness.start();
  stream = await h.liveStream(await h.account(), PRICE);
}, 60_000);
afterAll(() => h?.close());

interface Watching {
  ws: WsTestClient;
  sessionId: string;
  consumerId: string;
  receiver: WeriftReceiver;
}

async function watch(viewer: Account, token?: string): Promise<Watching> {
  const ws = await h.socket();
  const join = await ws.request('join', { token: token ?? (await h.viewerToken(viewer, stream.id)) });
  if (!join.ok) throw new Error(`join: ${join.error?.code}`);
  const transport = (await ws.request('createTransport', { direction: 'recv' })).data;
  const consumer = (await ws.request('consume', { transportId: transport.id, producerId: stream.source.producerId, rtpCapabilities: weriftCapabilities(join.data.routerRtpCapabilities) })).data;
  const receiver = await WeriftReceiver.connect(ws, transport, [consumer]);
  expect((await ws.request('resumeConsumer', { consumerId: consumer.id })).ok).toBe(true);
  return { ws, sessionId: join.data.sessionId, consumerId: consumer.id, receiver };
}

describe('an account whose balance runs out', () => {
  it('is stopped in every session at once, cannot come back, and pays for every second watched', async () => {
    const deposit = PRICE * 16n;
    const viewer = await h.account(deposit);
    const token = await h.viewerToken(viewer, stream.id);
    const a = await watch(viewer, token);
    const b = await watch(viewer);

    // Settlement stops the account while what is left still covers the seconds in flight.
    await Promise.all([a, b].map((s) => s.ws.waitForEvent('overdraft', () => true, 30_000)));
    await Promise.all([a, b].map((s) => s.ws.waitForEvent('consumerPaused', (d) => d.consumerId === s.consumerId, 5_000)));
    expect((await a.ws.request('resumeConsumer', { consumerId: a.consumerId })).error?.code).toBe('payment_required');

    // The token from before is still valid: rejoining with it, or reconnecting, is refused.
    const again = await h.socket();
    expect((await again.request('join', { token })).error?.code).toBe('payment_required');
    expect((await viewer.client.call(`/streams/${stream.id}/tokens`, { body: { role: 'viewer' } })).status).toBe(402);

    // No media after the stop: the players' seconds end with it.
    await new Promise((r) => setTimeout(r, 1500));
    const frozen = [a, b].map((s) => s.receiver.stats.frames);
    await new Promise((r) => setTimeout(r, 2000));
    expect([a, b].map((s) => s.receiver.stats.frames)).toEqual(frozen);

    for (const s of [a, b]) {
      s.receiver.close();
      s.ws.close();
    }
    await h.settle();
    let billedTotal = 0n;
    for (const s of [a, b]) billedTotal += BigInt(await h.billedSeconds(s.sessionId));
    // Both sessions watched the same stream: a second is paid once, whichever session paid it.
    // The meter and the players count the same seconds; each session's join may straddle an edge.
    const watched = new Set([...a.receiver.frameSeconds, ...b.receiver.frameSeconds]).size;
    expect(Math.abs(Number(billedTotal) - watched)).toBeLessThanOrEqual(2);
    // Every second was paid for, and the reserve was never overdrawn (shared seconds were paid by the other session).
    const overdrawn = await h.platform.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM settled_windows WHERE viewer = $1 AND billed_seconds + coalesce(shared_seconds, 0) < seconds',
      [viewer.id],
    );
    expect(overdrawn[0]!.n).toBe(0);
    const balance = await h.balance(viewer.id);
    expect(balance).toBe(deposit - billedTotal * PRICE);
    expect(balance).toBeGreaterThanOrEqual(0n);
  }, 60_000);

  it('cannot start more sessions than its balance covers', async () => {
    // Enough for one session's reserve, not for two.
    const viewer = await h.account(PRICE * (RESERVE_SECONDS * 2n - 1n));
    // Tokens fetched while the account held no session: the join decides, not the token.
    const [t1, t2] = [await h.viewerToken(viewer, stream.id), await h.viewerToken(viewer, stream.id)];
    const first = await h.socket();
    expect((await first.request('join', { token: t1 })).ok).toBe(true);
    const second = await h.socket();
    expect((await second.request('join', { token: t2 })).error?.code).toBe('payment_required');
    expect((await viewer.client.call(`/streams/${stream.id}/tokens`, { body: { role: 'viewer' } })).status).toBe(402);
    first.close();
    // Once the first leaves, its share of the reserve is free again.
    await waitFor('the first session to be let go', async () => (await viewer.client.call(`/streams/${stream.id}/tokens`, { body: { role: 'viewer' } })).status === 200);
    const third = await h.socket();
    expect((await third.request('join', { token: await h.viewerToken(viewer, stream.id) })).ok).toBe(true);
  }, 30_000);
});
