// A fuzzer against the real platform: generated and mutated WebSocket frames of every request
// type (valid, malformed, and named after Object.prototype's members) on sockets that have
// joined as publisher or viewer or not at all, and generated methods, paths, query strings,
// headers and bodies against every REST route, and SDP cut from a real offer against WHIP and WHEP. Every reply must be an ok frame, an error
// frame or a JSON 4xx; chat frames get the same treatment on the social socket; nothing may log an error or crash; and afterwards the ledger still
// balances and an ordinary viewer still plays. The run is bounded in count and time.
import fc from 'fast-check';
import { RTCPeerConnection } from 'werift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLedger, saveChainProperties } from '@vilokanam/settlement';
import { NodeViewer } from '@vilokanam/testkit/clients';
import { WsTestClient, type Reply } from '@vilokanam/testkit/clients';
import { RequestSchemas } from '@vilokanam/contracts/signaling';
import { CHAT_WS_PATH, ChatRequestSchemas } from '@vilokanam/contracts/chat';
import { AbuseHarness, type Account, type LiveStream } from './AbuseHarness.ts';

const SEED = Number(process.env.VILO_FUZZ_SEED ?? 20261206);
const FRAMES = Number(process.env.VILO_FUZZ_FRAMES ?? 1500);
const REQUESTS = Number(process.env.VILO_FUZZ_REQUESTS ?? 1500);
/** Sockets per state: each has its own rate-limit bucket, so frames spread over them get through. */
const SOCKETS_PER_KIND = 3;
const ERROR_CODES = new Set(['bad_request', 'unsupported_version', 'unknown_type', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'stream_not_live', 'rate_limited', 'payment_required', 'unavailable']);
const TYPES = Object.keys(RequestSchemas);
const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

let h: AbuseHarness;
let creator: Account;
let viewer: Account;
let paid: LiveStream;
let free: LiveStream;
/** A stream nobody publishes yet: WHIP offers to it that are good enough take it live. */
let whip: { id: string; key: string };
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  h = await AbuseHarness.start({ VILO_MAX_SOCKETS_PER_IP: '200', VILO_MAX_STREAMS_PER_ACCOUNT: '20' });
  // As settlement records it on connecting, so the withdrawal routes take their real paths.
  await saveChainProperties(h.platform.db, { genesisHash: `0x${'11'.repeat(32)}`, specName: 'statemine', tokenSymbol: 'ROC', tokenDecimals: 12, ss58Prefix: 42, existentialDeposit: 10n ** 9n, withdrawalFee: 10n ** 7n });
  creator = await h.account();
  viewer = await h.account(1_000_000n);
  paid = await h.liveStream(creator, 100n);
  free = await h.liveStream(creator);
  const created = await creator.client.call('/streams', { body: { title: 'WHIP fuzz', category: 'Tech' } });
  whip = { id: created.body.stream.id, key: created.body.streamKey };
  [offerSdp, publishSdp] = await Promise.all([weriftOffer('recvonly'), weriftOffer('sendonly')]);
  process.on('unhandledRejection', onUnhandled);
}, 60_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await h?.close();
});

async function weriftOffer(direction: 'sendonly' | 'recvonly'): Promise<string> {
  const pc = new RTCPeerConnection({});
  pc.addTransceiver('audio', { direction });
  pc.addTransceiver('video', { direction });
  await pc.setLocalDescription(await pc.createOffer());
  await pc.close();
  return pc.localDescription!.sdp;
}

/** Something shaped like each request's data, mutated: right keys with wrong values, and noise. */
const data = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue(),
  fc.dictionary(fc.constantFrom('token', 'direction', 'transportId', 'producerId', 'consumerId', 'kind', 'layer', 'rtpParameters', 'dtlsParameters', 'rtpCapabilities', 'appData', '__proto__', 'constructor'), fc.jsonValue(), { maxKeys: 5 }),
  fc.record({ direction: fc.constantFrom('send', 'recv', 'both', '') }),
  fc.record({ transportId: fc.oneof(fc.uuid(), fc.string()), producerId: fc.oneof(fc.uuid(), fc.string()), rtpCapabilities: fc.jsonValue() }),
  fc.record({ consumerId: fc.string(), layer: fc.oneof(fc.constantFrom('auto', 0, 1, 2, 3, -1), fc.double()) }),
  fc.record({ token: fc.oneof(fc.string({ maxLength: 5000 }), fc.base64String()) }),
);

const frame = fc.oneof(
  { weight: 6, arbitrary: fc.record({ v: fc.constant(1), id: fc.nat(), type: fc.constantFrom(...TYPES, ...PROTO_NAMES), data }) },
  { weight: 1, arbitrary: fc.record({ v: fc.jsonValue(), id: fc.oneof(fc.nat(), fc.string(), fc.double()), type: fc.oneof(fc.string(), fc.constantFrom(...PROTO_NAMES)), data }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
);

type Kind = 'anonymous' | 'viewer' | 'publisher';

/** Sockets in each state an attacker can reach; one that closes (a reaped transport) is rebuilt. */
class Sockets {
  readonly #open = new Map<string, WsTestClient>();

  async get(kind: Kind, index: number): Promise<WsTestClient> {
    const existing = this.#open.get(`${kind}:${index}`);
    if (existing && existing.socket.readyState === existing.socket.OPEN) return existing;
    const ws = await h.socket();
    if (kind === 'viewer') expect((await ws.request('join', { token: await h.viewerToken(viewer, paid.id) })).ok).toBe(true);
    if (kind === 'publisher') {
      const token = (await creator.client.call(`/streams/${free.id}/tokens`, { body: { role: 'publisher' }, headers: { authorization: `Bearer ${free.key}` } })).body.token;
      expect((await ws.request('join', { token })).ok).toBe(true);
    }
    this.#open.set(`${kind}:${index}`, ws);
    return ws;
  }
}

/** The id the server answers under: the frame's numeric id as it arrives on the wire, else null. */
function replyId(f: unknown): number | null {
  let wire: unknown;
  try {
    wire = JSON.parse(typeof f === 'string' ? f : JSON.stringify(f));
  } catch {
    return null;
  }
  const id = (wire as { id?: unknown } | null)?.id;
  return typeof id === 'number' ? id : null;
}

function checkReply(reply: Reply): void {
  if (reply.ok) return;
  expect(ERROR_CODES, `unexpected error ${JSON.stringify(reply.error)}`).toContain(reply.error?.code);
  expect(typeof reply.error?.message).toBe('string');
}

describe('the WebSocket', () => {
  it('answers every generated frame with an ok or error frame', async () => {
    const sockets = new Sockets();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(frame, fc.constantFrom<Kind>('anonymous', 'viewer', 'publisher'), fc.nat(SOCKETS_PER_KIND - 1), async (f, kind, index) => {
        const ws = await sockets.get(kind, index);
        const reply = await ws.raw(f, replyId(f));
        checkReply(reply);
        // Stay under the per-socket rate limit (a burst of 60, then 30 a second), so most frames reach the handlers.
        if (++sent % 150 === 0) await new Promise((r) => setTimeout(r, 1000));
      }),
      { seed: SEED, numRuns: FRAMES, interruptAfterTimeLimit: 120_000, endOnFailure: true },
    );
  }, 180_000);

  it('closes a socket that sends an oversized frame, and nothing else', async () => {
    const ws = await h.socket();
    ws.socket.send('x'.repeat(70 * 1024));
    expect((await ws.closed).code).toBe(1009);
  });
});

const CHAT_TYPES = Object.keys(ChatRequestSchemas);
const CHAT_FRAMES = Number(process.env.VILO_FUZZ_CHAT_FRAMES ?? 400);
/** Room-shaped values: the live stream's room, unknown rooms and garbage. */
const room = fc.oneof(fc.constant('@live'), fc.uuid(), fc.string({ maxLength: 40 }));
const chatData = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue(),
  fc.dictionary(fc.constantFrom('room', 'text', 'replyTo', 'before', 'messageId', 'account', 'seconds', 'reason', 'settings', '__proto__', 'constructor'), fc.jsonValue(), { maxKeys: 5 }),
  fc.record({ room, text: fc.oneof(fc.string({ maxLength: 600 }), fc.constantFrom('<img src=x onerror=alert(1)>', '@aaa @bbb', '\u202eevil', '')) }),
  fc.record({ room, messageId: fc.oneof(fc.nat().map(String), fc.string({ maxLength: 25 })) }),
  fc.record({ room, account: fc.oneof(fc.stringMatching(/^0x[0-9a-f]{64}$/), fc.string()), seconds: fc.oneof(fc.integer(), fc.double()) }),
  fc.record({ room, settings: fc.record({ slowModeSeconds: fc.integer(), followersOnly: fc.boolean(), followMinMinutes: fc.integer(), blockedTerms: fc.array(fc.string({ maxLength: 70 }), { maxLength: 5 }) }) }),
);
const chatFrame = fc.oneof(
  { weight: 6, arbitrary: fc.record({ v: fc.constant(1), id: fc.nat(), type: fc.constantFrom(...CHAT_TYPES, ...PROTO_NAMES), data: chatData }) },
  { weight: 1, arbitrary: fc.record({ v: fc.jsonValue(), id: fc.oneof(fc.nat(), fc.string()), type: fc.oneof(fc.string(), fc.constantFrom(...PROTO_NAMES)), data: chatData }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

/** Puts the live stream's id where a generated frame asked for it. */
function withLiveRoom(f: unknown): unknown {
  return typeof f === 'string' ? f : JSON.parse(JSON.stringify(f ?? null).replaceAll('"@live"', JSON.stringify(free.id)));
}

describe('the chat WebSocket', () => {
  it('answers every generated chat frame with an ok or error frame, signed in or not', async () => {
    const open = new Map<string, WsTestClient>();
    const socket = async (who: 'anonymous' | 'creator' | 'viewer', i: number): Promise<WsTestClient> => {
      const key = `${who}:${i}`;
      const existing = open.get(key);
      if (existing && existing.socket.readyState === existing.socket.OPEN) return existing;
      const cookie = who === 'creator' ? creator.client.cookie : who === 'viewer' ? viewer.client.cookie : undefined;
      const ws = await WsTestClient.connect(h.url, { path: CHAT_WS_PATH, ...(cookie ? { cookie } : {}) });
      open.set(key, ws);
      return ws;
    };
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(chatFrame, fc.constantFrom<'anonymous' | 'creator' | 'viewer'>('anonymous', 'creator', 'viewer'), fc.nat(2), async (f, who, i) => {
        const ws = await socket(who, i);
        const wire = withLiveRoom(f);
        checkReply(await ws.raw(wire, replyId(wire)));
        // Each socket may burst 20 requests, then 5 a second: pause so most frames reach the handlers.
        if (++sent % 60 === 0) await new Promise((r) => setTimeout(r, 1000));
      }),
      { seed: SEED, numRuns: CHAT_FRAMES, interruptAfterTimeLimit: 90_000, endOnFailure: true },
    );
    for (const ws of open.values()) ws.close();
  }, 120_000);
});

const ROUTES = [
  '/api/v1/streams',
  '/api/v1/streams/:id',
  '/api/v1/streams/:id/start',
  '/api/v1/streams/:id/stop',
  '/api/v1/streams/:id/tokens',
  '/api/v1/auth/challenge',
  '/api/v1/auth/login',
  '/api/v1/auth/logout',
  '/api/v1/me',
  '/api/v1/me/wallet',
  '/api/v1/me/earnings',
  '/api/v1/me/proofs',
  '/api/v1/admin/reconciler',
  '/api/v1/dev/faucet',
  '/api/v1/chain',
  '/api/v1/me/deposits/:id',
  '/api/v1/me/withdrawals',
  '/api/v1/admin/withdrawals',
  '/api/v1/me/caps',
  '/api/v1/me/statement.csv',
  '/api/v1/nowhere',
  '/whip/:id',
  '/whep/:id',
  '/whip/:id/:id',
  '/whep/:id/:id',
  '/api/v1/recordings',
  '/api/v1/recordings/:id',
  '/api/v1/recordings/:id/clips',
  '/api/v1/streams/:id/clips',
  '/api/v1/clips/:id',
  '/media/recordings/:id/vod.m3u8',
  '/media/recordings/:id/:id',
  '/media/recordings/:id/part-x/:id',
  '/media/clips/:id',
  '/api/v1/me/profile',
  '/api/v1/me/avatar',
  '/api/v1/profiles/:id',
  '/api/v1/c/:id',
  '/api/v1/images/:id',
  '/api/v1/follows/:id',
  '/api/v1/accounts/:id/followers',
  '/api/v1/accounts/:id/following',
  '/api/v1/me/following/live',
  '/api/v1/me/notifications',
  '/api/v1/me/notifications/read',
  '/api/v1/me/webhooks',
  '/api/v1/me/webhooks/:id',
  '/api/v1/emotes',
  '/api/v1/me/emotes',
  '/api/v1/me/emotes/:id',
  '/api/v1/categories',
  '/api/v1/categories/:id',
  '/api/v1/search',
  '/api/v1/admin/categories',
  '/api/v1/streams/:id/tips',
  '/api/v1/me/tips',
  '/api/v1/channels/:id/moderators',
  '/api/v1/me/moderators/:id',
  '/api/v1/me/modlog',
];

/** Real offers (werift's) to play and to publish, which SDP bodies are cut from and spliced into. */
let offerSdp = '';
let publishSdp = '';
const sdpEdit = fc.record({ at: fc.nat(), drop: fc.nat(200), insert: fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('\r\nm=video 0 RTP/AVP 0', '\r\na=rid:x send', '\r\na=simulcast:send a;b', '\r\na=mid:', '\r\na=fingerprint:sha-256 00', '\r\na=ice-ufrag:')) });
const sdpBody = (e: { at: number; drop: number; insert: string }, base = offerSdp) => base.slice(0, e.at % (base.length + 1)) + e.insert + base.slice((e.at % (base.length + 1)) + e.drop);

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  route: fc.constantFrom(...ROUTES),
  id: fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }).map(encodeURIComponent), fc.constant('%00'), fc.constant('..%2f..'), fc.constant('@live')),
  query: fc.dictionary(fc.constantFrom('status', 'limit', 'session', 'stream', 'from', 'to', 'format', 'creator', '__proto__', 'x', 'q', 'type', 'page', 'before', 'channel', 'code'), fc.string({ maxLength: 30 }), { maxKeys: 3 }),
  signedIn: fc.boolean(),
  contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', '', 'application/sdp', 'application/trickle-ice-sdpfrag'),
  authorization: fc.option(fc.oneof(fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`), fc.string({ maxLength: 80 }))),
  forwardedFor: fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 40 }))),
  body: fc.option(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ maxLength: 300 }), fc.constant('{"title":"t","category":"c","pricePerSecond":"1"}'), fc.constant('{"startMs":0,"endMs":5000}'), fc.constant('{"seconds":30}'), fc.constant('{"amount":"2000000000","destination":"5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty","requestId":"fuzz-request-1"}'), fc.constant('{"perDay":"1000","perStream":null}'), fc.constant('{"handle":"fuzz_er","displayName":"F","bio":"<b>x</b>","links":["javascript:alert(1)"]}'), fc.constant('{"tipId":"6a1f3c2e-1b2d-4c5e-8f90-a1b2c3d4e5f6","amount":"5","message":"hi"}'), fc.constant('{"url":"http://169.254.169.254/latest"}'), fc.constant('{"slug":"x","name":"X"}'), fc.constant('{"ids":["1","x"]}'), sdpEdit)),
  liveKey: fc.boolean(),
});

describe('the REST API', () => {
  it('answers every generated request with a success or a JSON 4xx', async () => {
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const id = r.id === '@live' ? free.id : r.id;
        const path = r.route.replaceAll(':id', id) + (Object.keys(r.query).length ? `?${new URLSearchParams(r.query)}` : '');
        const headers: Record<string, string> = {};
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.authorization !== null) headers.authorization = r.authorization.replace(/[\r\n]/g, '');
        if (r.liveKey && r.route.startsWith('/whip')) headers.authorization = `Bearer ${free.key}`;
        if (r.forwardedFor !== null) headers['x-forwarded-for'] = r.forwardedFor.replace(/[^\x20-\x7e]/g, '');
        if (r.signedIn && creator.client.cookie) headers.cookie = creator.client.cookie;
        const hasBody = r.body !== null && r.method !== 'GET' && r.method !== 'HEAD';
        const body = r.body === null ? undefined : typeof r.body === 'string' ? r.body : sdpBody(r.body);
        const res = await fetch(`${h.url}${path}`, { method: r.method, headers, body: hasBody ? body : undefined });
        const text = await res.text();
        const tally = `${r.route.split('/')[1]} ${res.status}`;
        statuses.set(tally, (statuses.get(tally) ?? 0) + 1);
        expect(res.status, `${r.method} ${path} → ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500);
        if (res.status >= 400 && r.method !== 'HEAD') {
          const body = JSON.parse(text);
          expect(typeof body.error.code).toBe('string');
          expect(typeof body.error.message).toBe('string');
        }
      }),
      { seed: SEED, numRuns: REQUESTS, interruptAfterTimeLimit: 90_000, endOnFailure: true },
    );
    console.log(`[fuzz] replies by route family and status: ${[...statuses].sort().map(([k, n]) => `${k}×${n}`).join(', ')}`);
  }, 120_000);
});

describe('WHIP and WHEP', () => {
  it('answers every mutated offer with 201 and an answer, or a JSON 4xx', async () => {
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('whip', 'whep'), sdpEdit, fc.constantFrom('application/sdp', 'application/sdp', 'application/sdp; charset=utf-8', 'text/plain'), async (kind, edit, contentType) => {
        const streamId = kind === 'whip' ? whip.id : free.id;
        const headers: Record<string, string> = { 'content-type': contentType };
        if (kind === 'whip') headers.authorization = `Bearer ${whip.key}`;
        const res = await fetch(`${h.url}/${kind}/${streamId}`, { method: 'POST', headers, body: sdpBody(edit, kind === 'whip' ? publishSdp : offerSdp) });
        const text = await res.text();
        statuses.set(`${kind} ${res.status}`, (statuses.get(`${kind} ${res.status}`) ?? 0) + 1);
        expect(res.status, `${kind} → ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500);
        if (res.status === 201) {
          expect(text).toMatch(/^v=0/);
          const gone = await fetch(`${h.url}${res.headers.get('location')}`, { method: 'DELETE', headers });
          expect(gone.status).toBe(200);
        } else {
          expect(typeof JSON.parse(text).error.code).toBe('string');
        }
      }),
      { seed: SEED, numRuns: Math.ceil(REQUESTS / 5), interruptAfterTimeLimit: 60_000, endOnFailure: true },
    );
    console.log(`[fuzz] WHIP and WHEP offers by status: ${[...statuses].sort().map(([k, n]) => `${k}×${n}`).join(', ')}`);
  }, 90_000);
});

describe('after the fuzzing', () => {
  it('logged no error, left the ledger balanced, and still plays to an ordinary viewer', async () => {
    expect(unhandled).toEqual([]);
    expect(h.logs.errors()).toEqual([]);
    expect(await auditLedger(h.platform.db)).toEqual([]);
    const honest = new NodeViewer(h.url, free.id);
    await honest.start();
    expect(honest.stats.frames).toBeGreaterThan(0);
    honest.close();
  }, 60_000);
});
