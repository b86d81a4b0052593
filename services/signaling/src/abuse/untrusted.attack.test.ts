// Attack: send garbage from anywhere that reaches a process: Redis channels (load reports,
// overdrafts), a node's control channel in either direction, and WebSocket frames named after
// Object.prototype's members. Seen against the old code: one non-JSON load report killed
// signaling, and a `constructor` frame was logged as an internal error. Every such message is
// now parsed with a schema, counted, logged at most once a minute, and dropped.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { WebSocket, WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OVERDRAFT_CHANNEL } from '@vilokanam/contracts/ticks';
import { ControlAuth, RemoteSfu, reportChannel } from '@vilokanam/sfu-node/client';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { RedisServer } from '@vilokanam/testkit/media';

import { SfuProcess } from '@vilokanam/testkit/media';

import { signalingConfigFromEnv } from '../config.ts';
import { startPlatform, type Platform } from '../Platform.ts';
import { WsTestClient } from '@vilokanam/testkit/clients';
import { LogCapture } from './AbuseHarness.ts';
import { waitFor } from '@vilokanam/testkit';

const FLEET = 'untrusted';
const secret = randomBytes(32).toString('hex');
let redisServer: RedisServer;
let redis: Redis;
let node: SfuProcess;
let platform: Platform;
const logs = new LogCapture();

beforeAll(async () => {
  redisServer = await RedisServer.start({ bind: '127.0.0.19', port: 6380 });
  redis = new Redis(redisServer.url);
  node = await SfuProcess.start({ nodeId: 'n1', ip: '127.0.0.1', redisUrl: redisServer.url, controlSecret: secret, rtcMinPort: 46000, rtcMaxPort: 46999, fleet: FLEET });
  const config = signalingConfigFromEnv({
    VILO_PORT: '0',
    VILO_DATA_DIR: 'memory://',
    VILO_SFU_MODE: 'fleet',
    VILO_REDIS_URL: redisServer.url,
    VILO_SFU_CONTROL_SECRET: secret,
    VILO_FLEET: FLEET,
  });
  platform = await startPlatform(config, { log: logs.logger });
  await waitFor('the node to join the fleet', () => platform.fleet.nodes().some((n) => n.ready), 10_000);
}, 60_000);

afterAll(async () => {
  await platform?.close();
  await node?.stop();
  redis?.disconnect();
  await redisServer?.stop();
});

async function malformedCount(source: string): Promise<number> {
  const text = await (await fetch(`${platform.opsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`vilo_malformed_messages_total{source="${source}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('messages from Redis', () => {
  it('drops anything on the report channel that is not a node report, and keeps serving', async () => {
    const garbage = [
      'not json',
      '{"nodeId":"ghost"}',
      '{"__proto__":{"polluted":true},"nodeId":"x"}',
      JSON.stringify({ nodeId: 'evil', controlUrl: 'http://attacker.example:1/path?x', capacity: 1, draining: false, at: Date.now(), workers: 1, routers: 0, transports: 0, producers: 0, consumers: 0, bitrateOut: 0, workerDeaths: 0, streams: {} }),
      JSON.stringify({ nodeId: 'n2', controlUrl: 'http://127.0.0.1:1', capacity: -5, draining: 'no', at: 'now' }),
    ];
    for (const message of garbage) await redis.publish(reportChannel(FLEET), message);
    await redis.publish(OVERDRAFT_CHANNEL, '{"v":1,"sessionId":');
    await redis.publish(OVERDRAFT_CHANNEL, JSON.stringify({ v: 1, sessionId: 'x', viewer: 'y', stream: 'z', window: 'soon' }));
    await waitFor('the reports to be counted', async () => (await malformedCount('load-report')) >= garbage.length, 5000);
    await waitFor('the overdrafts to be counted', async () => (await malformedCount('overdraft')) >= 2, 5000);
    expect((await fetch(`${platform.url}/healthz`)).status).toBe(200);
    expect(platform.fleet.nodes().map((n) => n.id)).toEqual(['n1']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Counted, and summarised in the log at most once a minute per source: never an error.
    expect(logs.errors()).toEqual([]);
    expect(logs.lines.filter((l) => l.msg === 'malformed message dropped').length).toBeLessThanOrEqual(2);
  });
});

describe('frames from a browser', () => {
  it('treats names of Object.prototype members like any unknown type', async () => {
    const ws = await WsTestClient.connect(platform.url);
    for (const type of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf', '__defineGetter__']) {
      expect((await ws.request(type, {})).error?.code).toBe('unknown_type');
    }
    expect(ws.socket.readyState).toBe(ws.socket.OPEN);
    ws.close();
    expect(logs.errors()).toEqual([]);
  });
});

describe('the node control channel', () => {
  it('refuses method names of Object.prototype members at the node', async () => {
    const token = await new ControlAuth(secret).connectToken('attacker', { node: node.nodeId, url: node.controlUrl });
    const ws = new WebSocket(`${node.controlUrl.replace(/^http/, 'ws')}/control`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const replies: any[] = [];
    ws.on('message', (raw) => replies.push(JSON.parse(raw.toString())));
    const methods = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'emit', 'close'];
    methods.forEach((method, i) => ws.send(JSON.stringify({ id: i + 1, method, params: [] })));
    ws.send('{"id":');
    await waitFor('every frame to be answered', () => replies.length === methods.length + 1, 3000);
    expect(replies.every((r) => r.ok === false && r.error.code === 'bad_request')).toBe(true);
    ws.close();
    expect((await fetch(`${node.controlUrl}/healthz`)).status).toBe(200);
    expect(node.child.exitCode).toBeNull();
  });

  it('drops what a rogue node sends back, and never emits an event it names', async () => {
    // A "node" that answers every call with garbage before the real reply.
    const rogue = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    rogue.on('connection', (ws) =>
      ws.on('message', (raw) => {
        const { id } = JSON.parse(raw.toString());
        for (const junk of ['not json', '{"event":"constructor","data":{}}', '{"event":"__proto__","data":{}}', '{"event":"emit","data":[]}', '{"event":"producerclose","data":{"streamId":5}}', '{"id":"x","ok":true}', `{"id":${id},"ok":"yes"}`]) ws.send(junk);
        ws.send(JSON.stringify({ id, ok: true, data: [] }));
      }),
    );
    await new Promise((r) => rogue.once('listening', r));
    const port = (rogue.address() as { port: number }).port;
    const refused: string[] = [];
    const untrusted = new UntrustedInput({ count: (s) => refused.push(s), warn: () => undefined });
    const remote = new RemoteSfu({ nodeId: 'rogue', url: `http://127.0.0.1:${port}`, auth: new ControlAuth(secret), caller: 'test', log: logs.logger, untrusted });
    const emitted: string[] = [];
    const originalEmit = remote.emit.bind(remote) as (event: string, ...args: unknown[]) => boolean;
    remote.emit = ((event: string, ...args: unknown[]) => {
      emitted.push(event);
      return originalEmit(event, ...args);
    }) as typeof remote.emit;
    expect(await remote.producers('s1')).toEqual([]);
    expect(refused).toHaveLength(7);
    expect(emitted.filter((e) => e !== 'nodeup')).toEqual([]);
    remote.close();
    rogue.close();
  });
});
