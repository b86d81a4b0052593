// WHIP and WHEP against the real platform (mediasoup, the ledger, the meter), with werift in
// Node as an independent WebRTC peer: every refusal the RFC names gets its status and a JSON
// body; a WHEP player of a paid stream is billed exactly the seconds it received; a WHIP
// publisher holds the stream alone until DELETE ends it.
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeriftReceiver } from '@vilokanam/testkit/clients';
import { waitFor } from '@vilokanam/testkit';
import { AbuseHarness, type Account, type LiveStream } from '../abuse/AbuseHarness.ts';

const PRICE = 1_000n;
let h: AbuseHarness;
let creator: Account;
let paid: LiveStream;

beforeAll(async () => {
  h = await AbuseHarness.start({ VILO_MAX_SOCKETS_PER_IP: '6' });
  creator = await h.account();
  paid = await h.liveStream(creator, PRICE);
}, 60_000);
afterAll(() => h?.close());

/** A real offer from werift: send-only to publish, receive-only to play. */
async function offer(direction: 'sendonly' | 'recvonly'): Promise<{ pc: RTCPeerConnection; sdp: string }> {
  const pc = new RTCPeerConnection({});
  pc.addTransceiver('audio', { direction });
  pc.addTransceiver('video', { direction });
  await pc.setLocalDescription(await pc.createOffer());
  return { pc, sdp: pc.localDescription!.sdp };
}

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; location: string | null; json: any }> {
  const res = await fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/sdp', ...headers }, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, location: res.headers.get('location'), json };
}

async function newStream(): Promise<{ id: string; key: string }> {
  const created = await creator.client.call('/streams', { body: { title: 'WHIP', category: 'Tech' } });
  expect(created.status).toBe(201);
  return { id: created.body.stream.id, key: created.body.streamKey };
}

describe('WHIP refusals', () => {
  it('gives each bad request its 4xx and a JSON error', async () => {
    const stream = await newStream();
    const { pc, sdp } = await offer('sendonly');
    const auth = { authorization: `Bearer ${stream.key}` };
    const cases: [string, Promise<{ status: number; json: any }>, number][] = [
      ['unknown stream', post(`/whip/${crypto.randomUUID()}`, sdp, auth), 404],
      ['not a stream id', post('/whip/..%2f..', sdp, auth), 404],
      ['no key', post(`/whip/${stream.id}`, sdp), 401],
      ['wrong key', post(`/whip/${stream.id}`, sdp, { authorization: `Bearer ${paid.key}` }), 401],
      ['not SDP', post(`/whip/${stream.id}`, '{"sdp":1}', { ...auth, 'content-type': 'application/json' }), 415],
      ['malformed SDP', post(`/whip/${stream.id}`, 'v=0\r\nm=video\r\nthis is not sdp', auth), 422],
      ['no media', post(`/whip/${stream.id}`, sdp.split('m=audio')[0]!, auth), 422],
      ['an offer to receive', post(`/whip/${stream.id}`, (await offer('recvonly')).sdp, auth), 422],
      ['oversized', post(`/whip/${stream.id}`, sdp + `a=x-pad:${'x'.repeat(70_000)}\r\n`, auth), 413],
      ['already has a publisher', post(`/whip/${paid.id}`, sdp, { authorization: `Bearer ${paid.key}` }), 409],
    ];
    for (const [what, reply, status] of cases) {
      const r = await reply;
      expect(r.status, what).toBe(status);
      expect(typeof r.json?.error?.code, what).toBe('string');
      expect(typeof r.json?.error?.message, what).toBe('string');
    }
    await pc.close();
    // None of them started the stream.
    expect((await h.platform.store.get(stream.id))?.status).toBe('created');
    expect(h.logs.errors()).toEqual([]);
  });

  it('lets one publisher hold a stream, and its DELETE, with the key, ends it', async () => {
    const stream = await newStream();
    const auth = { authorization: `Bearer ${stream.key}` };
    const first = await offer('sendonly');
    const second = await offer('sendonly');
    // Two at once: the per-stream queue lets exactly one in.
    const [a, b] = await Promise.all([post(`/whip/${stream.id}`, first.sdp, auth), post(`/whip/${stream.id}`, second.sdp, auth)]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const winner = a.status === 201 ? a : b;
    expect(winner.location).toMatch(new RegExp(`^/whip/${stream.id}/[0-9a-f-]{36}$`));
    expect(winner.text).toContain('a=setup:passive');
    expect((await h.platform.store.get(stream.id))?.status).toBe('live');

    const resource = `${h.url}${winner.location}`;
    const patch = (body: string, headers: Record<string, string>) => fetch(resource, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', ...headers }, body });
    expect((await patch('a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n', {})).status).toBe(401);
    // A new ufrag restarts ICE: the answer fragment carries the server's new credentials.
    const restart = await patch('a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n', auth);
    expect(restart.status).toBe(200);
    expect(await restart.text()).toMatch(/a=ice-ufrag:\S+\r?\na=ice-pwd:\S+/);
    // A trickled candidate with the same ufrag needs nothing of an ICE-lite server.
    expect((await patch('a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\n', auth)).status).toBe(204);

    expect((await fetch(resource, { method: 'DELETE', headers: { authorization: `Bearer ${paid.key}` } })).status).toBe(401);
    expect((await fetch(resource, { method: 'DELETE', headers: auth })).status).toBe(200);
    expect((await h.platform.store.get(stream.id))?.status).toBe('ended');
    // DELETE is idempotent for a while (clients close DTLS first), and then the resource is gone.
    expect((await fetch(resource, { method: 'DELETE', headers: auth })).status).toBe(200);
    expect((await patch('a=ice-ufrag:efgh\r\na=ice-pwd:0123456789012345678901\r\n', auth)).status).toBe(404);
    await first.pc.close();
    await second.pc.close();
  });
});

describe('WHEP', () => {
  it('refuses a paid stream without a viewer token for it', async () => {
    const { pc, sdp } = await offer('recvonly');
    expect((await post(`/whep/${paid.id}`, sdp)).status).toBe(401);
    const free = await h.liveStream(creator);
    const other = await h.viewerToken(await h.account(PRICE * 100n), free.id);
    expect((await post(`/whep/${paid.id}`, sdp, { authorization: `Bearer ${other}` })).status).toBe(403);
    expect((await post(`/whep/${paid.id}`, sdp, { authorization: 'Bearer not-a-token' })).status).toBe(401);
    // A player that takes only H.264 cannot be answered for a VP8 stream.
    const h264 = new RTCPeerConnection({ codecs: { video: [new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1' })] } });
    h264.addTransceiver('video', { direction: 'recvonly' });
    await h264.setLocalDescription(await h264.createOffer());
    const free2 = await h.liveStream(creator);
    const noCodec = await post(`/whep/${free2.id}`, h264.localDescription!.sdp);
    expect(noCodec.status).toBe(422);
    expect(noCodec.json.error.message).toMatch(/cannot receive video\/VP8/);
    await h264.close();
    const notLive = await newStream();
    expect((await post(`/whep/${notLive.id}`, sdp)).status).toBe(409);
    await pc.close();
  });

  it('bills a paid WHEP player every second it received, once, and stops at DELETE', async () => {
    const deposit = PRICE * 1000n;
    const viewer = await h.account(deposit);
    const { receiver, resource } = await WeriftReceiver.whep(`${h.url}/whep/${paid.id}`, await h.viewerToken(viewer, paid.id));
    const sessionId = resource.split('/').pop()!;
    await waitFor('frames in the WHEP player', () => receiver.stats.frames > 20, 15_000);
    await new Promise((r) => setTimeout(r, 6000));
    expect((await fetch(resource, { method: 'DELETE' })).status).toBe(200);
    receiver.close();
    await h.settle();

    const watched = receiver.frameSeconds.size;
    const billed = await h.billedSeconds(sessionId);
    expect(watched).toBeGreaterThanOrEqual(6);
    // Never more than the seconds received, give or take the clocks' phase at the ends. Up to
    // two fewer: the meter bills no second it has no baseline for (the player's producers'
    // first), and the last may fall either side of the DELETE.
    expect(billed, `billed ${billed} of ${watched} seconds received`).toBeLessThanOrEqual(watched + 1);
    expect(billed, `billed ${billed} of ${watched} seconds received`).toBeGreaterThanOrEqual(watched - 2);
    expect(await h.balance(viewer.id)).toBe(deposit - PRICE * BigInt(billed));
  }, 60_000);

  it('bounds the sessions one address holds', async () => {
    const viewer = await h.account(PRICE * 1000n);
    const players: WeriftReceiver[] = [];
    let refused: { status: number } | undefined;
    for (let i = 0; i < 8 && !refused; i++) {
      try {
        players.push((await WeriftReceiver.whep(`${h.url}/whep/${paid.id}`, await h.viewerToken(viewer, paid.id))).receiver);
      } catch (err) {
        refused = err as { status: number };
      }
    }
    expect(refused?.status).toBe(429);
    expect(players.length).toBeLessThanOrEqual(6);
    for (const p of players) p.close();
  }, 60_000);
});
