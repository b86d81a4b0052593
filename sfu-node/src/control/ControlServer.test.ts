// The control channel against a real node: only authorised callers get in, pipes connect
// only to the peer a grant names, and bad calls get error replies, not crashes.
import pino from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sfuConfigFromEnv } from '../config.ts';
import { SfuNode } from '../SfuNode.ts';
import { ControlAuth } from './ControlAuth.ts';
import { ControlServer } from './ControlServer.ts';
import { RemoteSfu } from './RemoteSfu.ts';

const log = pino({ level: 'silent' });
const auth = new ControlAuth('s'.repeat(48));
let node: SfuNode;
let server: ControlServer;
let url: string;

beforeAll(async () => {
  node = new SfuNode(sfuConfigFromEnv({ ...process.env, VILO_SFU_WORKERS: '1' }), log);
  await node.start();
  server = new ControlServer(node, auth, log);
  url = await server.listen(0, '127.0.0.1');
});
afterAll(async () => {
  await server?.close();
  node?.close();
});

function rawSocket(token?: string): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/control`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.once('error', () => undefined);
  });
}

function call(ws: WebSocket, frame: unknown): Promise<any> {
  return new Promise((resolve) => {
    ws.once('message', (raw) => resolve(JSON.parse(raw.toString())));
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  });
}

describe('ControlServer', () => {
  it('refuses callers without a valid token', async () => {
    expect((await rawSocket()).status).toBe(401);
    expect((await rawSocket('nonsense')).status).toBe(401);
    const stranger = await new ControlAuth('t'.repeat(48)).connectToken('mallory');
    expect((await rawSocket(stranger)).status).toBe(401);
  });

  it('answers bad calls with error replies and keeps the channel', async () => {
    const { ws } = await rawSocket(await auth.connectToken('test'));
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

  it('connects a pipe only to the peer its grant names', async () => {
    const remote = new RemoteSfu({ nodeId: 'n1', url, auth, caller: 'test', log });
    await remote.connect();
    const a = await remote.createPipeTransport('s2');
    const b = await remote.createPipeTransport('s2');
    expect(a.srtpParameters).toMatchObject({ cryptoSuite: expect.any(String), keyBase64: expect.any(String) });

    const { ws } = await rawSocket(await auth.connectToken('test'));
    const grantForOther = await auth.pipeGrant(a.id, { ip: '127.0.0.9', port: b.port });
    const refused = await call(ws!, {
      id: 1,
      method: 'connectPipeTransport',
      params: [a.id, { ip: b.ip, port: b.port, srtpParameters: b.srtpParameters }, grantForOther],
    });
    expect(refused.error).toEqual({ code: 'forbidden', message: 'pipe grant refused' });
    ws!.close();

    // The client mints the matching grant itself.
    await expect(remote.connectPipeTransport(a.id, { ip: b.ip, port: b.port, srtpParameters: b.srtpParameters })).resolves.toBeUndefined();
    remote.closePipeTransport(a.id);
    remote.closePipeTransport(b.id);
    remote.close();
  });

  it('forwards node events and reports load over HTTP', async () => {
    const remote = new RemoteSfu({ nodeId: 'n1', url, auth, caller: 'test', log });
    await remote.routerCapabilities('s3');
    const closed = new Promise((resolve) => remote.once('streamclose', resolve));
    remote.closeStream('s3');
    expect(await closed).toEqual({ streamId: 's3', reason: 'closed' });
    const load = await (await fetch(`${url}/load`)).json();
    expect(load).toMatchObject({ workers: 1, workerDeaths: 0 });
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('vilo_sfu_workers 1');
    const down = new Promise((resolve) => remote.once('nodedown', resolve));
    remote.close();
    expect(await down).toEqual({ nodeId: 'n1' });
  });
});
