// The control channel against a real node: only callers holding a token for this node at
// this URL get in, pipes connect only to the peer a grant names and only with SRTP
// parameters sealed for that pipe, /load wants a token and /metrics the metrics token, and
// bad calls get error replies, not crashes.
import { SignJWT, decodeJwt } from 'jose';
import pino from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsTap } from '@vilokanam/testkit/media';
import { sfuConfigFromEnv } from '../config.ts';
import { SfuNode } from '../SfuNode.ts';
import { ControlAuth } from './ControlAuth.ts';
import { ControlServer } from './ControlServer.ts';
import { RemoteSfu } from './RemoteSfu.ts';

const log = pino({ level: 'silent' });
const SECRET = 's'.repeat(48);
const METRICS_TOKEN = 'm'.repeat(32);
const auth = new ControlAuth(SECRET);
let node: SfuNode;
let server: ControlServer;
let guarded: ControlServer;
let tap: WsTap;
let url: string;
let guardedUrl: string;

beforeAll(async () => {
  node = new SfuNode(sfuConfigFromEnv({ ...process.env, VILO_SFU_WORKERS: '1' }), log);
  await node.start();
  // The tap is a second way to reach the node: it answers to the tap's URL as well.
  tap = await WsTap.start();
  server = new ControlServer(node, auth, log, { nodeId: 'n1', urls: [tap.url] });
  url = await server.listen(0, '127.0.0.1');
  tap.upstream = url;
  guarded = new ControlServer(node, new ControlAuth(SECRET), log, { nodeId: 'n1', metricsToken: METRICS_TOKEN });
  guardedUrl = await guarded.listen(0, '127.0.0.1');
});
afterAll(async () => {
  await tap?.close();
  await server?.close();
  await guarded?.close();
  node?.close();
});

function rawSocket(token?: string): Promise<{ ws?: WebSocket; status?: number; body?: any }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/control`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    ws.once('error', () => undefined);
  });
}

function call(ws: WebSocket, frame: unknown): Promise<any> {
  return new Promise((resolve) => {
    ws.once('message', (raw) => resolve(JSON.parse(raw.toString())));
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  });
}

const token = (target: { node: string; url: string } = { node: 'n1', url }) => auth.connectToken('test', target);
const refusal = async (t: string) => {
  const { status, body } = await rawSocket(t);
  return { status, message: body?.error?.message as string };
};

describe('ControlServer: who gets in', () => {
  it('refuses callers without a valid token', async () => {
    expect((await rawSocket()).status).toBe(401);
    expect(await refusal('nonsense')).toMatchObject({ status: 401, message: expect.stringMatching(/^invalid control token/) });
    const stranger = await new ControlAuth('t'.repeat(48)).connectToken('mallory', { node: 'n1', url });
    expect((await rawSocket(stranger)).status).toBe(401);
  });

  it('refuses a token for another node, even at the right URL', async () => {
    expect(await refusal(await token({ node: 'n2', url }))).toEqual({ status: 401, message: 'control token is for another node' });
    // What a caller sees when a fake report sent it to the wrong node.
    const misled = new RemoteSfu({ nodeId: 'n2', url, auth, caller: 'test', log });
    await expect(misled.connect()).rejects.toThrow('sfu n2: control channel refused (401): control token is for another node');
    misled.close();
  });

  it('refuses a token for another URL, and takes one for any URL the node answers to', async () => {
    expect(await refusal(await token({ node: 'n1', url: 'http://127.0.0.9:7070' }))).toEqual({ status: 401, message: 'control token is for another control URL' });
    const viaTap = new RemoteSfu({ nodeId: 'n1', url: tap.url, auth, caller: 'test', log });
    expect(await viaTap.producers('s0')).toEqual([]);
    viaTap.close();
  });

  it('refuses an expired token and a replayed one', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ node: 'n1', url })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('vilokanam')
      .setAudience('vilokanam:sfu-control')
      .setSubject('test')
      .setJti('old')
      .setIssuedAt(now - 30)
      .setExpirationTime(now - 20)
      .sign(new TextEncoder().encode(SECRET));
    expect(await refusal(expired)).toEqual({ status: 401, message: expect.stringMatching(/^invalid control token .*exp/) });
    const once = await token();
    const { ws } = await rawSocket(once);
    ws!.close();
    expect(await refusal(once)).toEqual({ status: 401, message: 'control token already used' });
  });

  it('mints a fresh ten-second token for every reconnect', async () => {
    const before = tap.authorizations.length;
    const remote = new RemoteSfu({ nodeId: 'n1', url: tap.url, auth, caller: 'test', log });
    await remote.routerCapabilities('s-re');
    const down = new Promise((resolve) => remote.once('nodedown', resolve));
    tap.dropAll();
    await down;
    await remote.routerCapabilities('s-re');
    const tokens = tap.authorizations.slice(before).map((h) => h.replace(/^Bearer /, ''));
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).not.toBe(tokens[1]);
    for (const t of tokens) {
      const claims = decodeJwt(t);
      expect(claims).toMatchObject({ node: 'n1', url: tap.url, sub: 'test' });
      expect(claims.exp! - claims.iat!).toBe(10);
    }
    remote.close();
  });
});

describe('ControlServer: calls', () => {
  it('answers bad calls with error replies and keeps the channel', async () => {
    const { ws } = await rawSocket(await token());
    expect((await call(ws!, '{oops')).error.code).toBe('bad_request');
    expect((await call(ws!, { id: 1, method: 'format', params: [] })).error).toEqual({ code: 'bad_request', message: 'unknown method' });
    expect((await call(ws!, { id: 5, method: 'constructor', params: [] })).error).toEqual({ code: 'bad_request', message: 'unknown method' });
    expect((await call(ws!, { id: 2, method: 'createTransport', params: ['s1', 'sideways'] })).error.code).toBe('bad_request');
    expect((await call(ws!, { id: 3, method: 'connectTransport', params: ['nope', {}] })).error.code).toBe('not_found');
    const ok = await call(ws!, { id: 4, method: 'routerCapabilities', params: ['s1'] });
    expect(ok.ok).toBe(true);
    expect(ok.data.codecs.length).toBeGreaterThan(2);
    ws!.close();
  });

  it('connects a pipe only to the peer its grant names, with parameters sealed for that pipe', async () => {
    const remote = new RemoteSfu({ nodeId: 'n1', url, auth, caller: 'test', log });
    const a = await remote.createPipeTransport('s2');
    const b = await remote.createPipeTransport('s2');
    const c = await remote.createPipeTransport('s2');
    // The client opens what the node sealed.
    expect(a.srtpParameters).toMatchObject({ cryptoSuite: expect.any(String), keyBase64: expect.any(String) });

    const { ws } = await rawSocket(await token());
    // On the wire, the node's answer carries no key.
    const created = await call(ws!, { id: 1, method: 'createPipeTransport', params: ['s2'] });
    expect(created.data.srtpParameters).toMatch(/^v1\./);
    const connect = (id: number, pipeId: string, srtpParameters: unknown, grant: string) =>
      call(ws!, { id, method: 'connectPipeTransport', params: [pipeId, { ip: b.ip, port: b.port, srtpParameters }, grant] });
    const grantForA = await auth.pipeGrant(a.id, { ip: b.ip, port: b.port });

    const grantForOther = await auth.pipeGrant(a.id, { ip: '127.0.0.9', port: b.port });
    expect((await connect(2, a.id, auth.seal.seal('remote', a.id, b.srtpParameters), grantForOther)).error).toEqual({ code: 'forbidden', message: 'pipe grant refused' });
    // A blob sealed for pipe c, moved to pipe a.
    expect((await connect(3, a.id, auth.seal.seal('remote', c.id, b.srtpParameters), grantForA)).error).toEqual({
      code: 'forbidden',
      message: `sealed SRTP parameters do not open for pipe ${a.id} (remote end)`,
    });
    // A node's own answer, replayed as the peer's parameters.
    expect((await connect(4, created.data.id, created.data.srtpParameters, await auth.pipeGrant(created.data.id, { ip: b.ip, port: b.port }))).error.code).toBe('forbidden');
    // Keys in the clear are not even a well-formed call.
    expect((await connect(5, a.id, b.srtpParameters, grantForA)).error.code).toBe('bad_request');
    ws!.close();

    // The client mints the grant and seals the parameters itself.
    await expect(remote.connectPipeTransport(a.id, { ip: b.ip, port: b.port, srtpParameters: b.srtpParameters })).resolves.toBeUndefined();
    for (const p of [a, b, c]) remote.closePipeTransport(p.id);
    remote.closePipeTransport(created.data.id);
    remote.close();
  });

  it('closes the WebRTC transports a caller opened when its channel closes, and leaves other callers\' alone', async () => {
    const dying = new RemoteSfu({ nodeId: 'n1', url, auth, caller: 'replica-a', log });
    const living = new RemoteSfu({ nodeId: 'n1', url, auth, caller: 'replica-b', log });
    const a = await dying.createTransport('s-owned', 'recv', { sessionId: '00000000-0000-4000-8000-00000000000a' });
    const b = await living.createTransport('s-owned', 'recv', { sessionId: '00000000-0000-4000-8000-00000000000b' });
    const closed = node.transportClosed(a.id);
    // A killed replica: its socket just goes.
    dying.close();
    await closed;
    // The other caller's transport is still there: connecting it reaches DTLS, not "unknown transport".
    await expect(living.connectTransport(b.id, { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AA:'.repeat(31) + 'AA' }] })).resolves.toBeUndefined();
    await expect(living.connectTransport(a.id, { role: 'client', fingerprints: [] })).rejects.toThrow(/transport/);
    living.close();
  });

  it('forwards node events', async () => {
    const remote = new RemoteSfu({ nodeId: 'n1', url, auth, caller: 'test', log });
    await remote.routerCapabilities('s3');
    const closed = new Promise((resolve) => remote.once('streamclose', resolve));
    remote.closeStream('s3');
    expect(await closed).toEqual({ streamId: 's3', reason: 'closed' });
    const down = new Promise((resolve) => remote.once('nodedown', resolve));
    remote.close();
    expect(await down).toEqual({ nodeId: 'n1' });
  });
});

describe('ControlServer: HTTP', () => {
  const get = (path: string, bearer?: string, base = url) => fetch(`${base}${path}`, bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {});

  it('serves /healthz to anyone', async () => {
    expect((await get('/healthz')).status).toBe(200);
  });

  it('serves /load only with a control token for this node', async () => {
    const bare = await get('/load');
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe('Bearer');
    expect((await get('/load', await token({ node: 'n2', url }))).status).toBe(401);
    expect((await get('/load', await token({ node: 'n1', url: 'http://127.0.0.9:1' }))).status).toBe(401);
    const ok = await get('/load', await token());
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ workers: 1, workerDeaths: 0 });
  });

  it('serves /metrics openly without a metrics token, and only with it when one is set', async () => {
    expect(await (await get('/metrics')).text()).toContain('vilo_sfu_workers 1');
    expect((await get('/metrics', undefined, guardedUrl)).status).toBe(401);
    expect((await get('/metrics', 'm'.repeat(31), guardedUrl)).status).toBe(401);
    expect((await get('/metrics', await auth.connectToken('test', { node: 'n1', url: guardedUrl }), guardedUrl)).status).toBe(401);
    const ok = await get('/metrics', METRICS_TOKEN, guardedUrl);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('vilo_sfu_workers 1');
  });
});
