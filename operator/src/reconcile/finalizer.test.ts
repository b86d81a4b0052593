// Release against a real sfu-node process and the real Redis (database 13): the router is
// really closed on the node, the route is really gone, and an unreachable node is reported
// for the caller to retry instead of being silently skipped.
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlAuth } from '@vilokanam/sfu-node';
import { SfuProcess } from '@vilokanam/testkit/media';
import { routeKey } from '@vilokanam/contracts/routes';
import { NodeControls } from '../fleet/NodeControls.ts';
import { holders, releaseStream } from './finalizer.ts';
import { fleetNode, fleetOf } from './fixtures.ts';
import { RouteMirror } from './RouteMirror.ts';

const secret = 'f'.repeat(40);
const log = pino({ level: 'silent' });
let redis: Redis;
let sfu: SfuProcess;
let controls: NodeControls;

beforeAll(async () => {
  redis = new Redis('redis://127.0.0.1:6379/13');
  await redis.flushdb();
  sfu = await SfuProcess.start({ nodeId: 'sfu-fin', ip: '127.0.0.30', redisUrl: 'redis://127.0.0.1:6379/13', controlSecret: secret, rtcMinPort: 44000, rtcMaxPort: 44099 });
  controls = new NodeControls(new ControlAuth(secret), log, { timeoutMs: 1_500 });
}, 30_000);
afterAll(async () => {
  controls?.close();
  await sfu?.stop();
  await redis.flushdb();
  redis.disconnect();
});

async function streamsOnNode(): Promise<string[]> {
  return Object.keys((await sfu.load()).streams);
}

describe('holders', () => {
  it('are the origin, the edges and any node still reporting the stream', () => {
    const fleet = fleetOf(fleetNode('a'), fleetNode('b'), fleetNode('c', { streams: { s: { producers: 0, consumers: 0 } } }));
    const status = { origin: { pod: 'a', node: 'n', address: 'x' }, edges: [{ pod: 'b', node: 'n', address: 'x', parent: 'a', viewers: 0 }] };
    expect(holders('s', status, fleet)).toEqual(['a', 'b', 'c']);
  });
});

describe('releaseStream', () => {
  it('closes the router on the node and removes the route', async () => {
    await controls.openRouter('sfu-fin', sfu.controlUrl, 'gone-live');
    await controls.openRouter('sfu-fin', sfu.controlUrl, 'other');
    expect((await streamsOnNode()).sort()).toEqual(['gone-live', 'other']);
    const mirror = new RouteMirror(redis);
    await redis.set(routeKey('gone-live'), '{}');
    const fleet = fleetOf(fleetNode('sfu-fin', { controlUrl: sfu.controlUrl }), fleetNode('vanished-pod', { controlUrl: undefined }));
    const status = { origin: { pod: 'sfu-fin', node: 'n', address: '127.0.0.30' }, edges: [{ pod: 'vanished-pod', node: 'n', address: 'x', parent: 'sfu-fin', viewers: 0 }] };
    const result = await releaseStream('gone-live', status, fleet, controls, mirror);
    expect(result).toEqual({ released: ['sfu-fin'], failed: [] });
    expect(await streamsOnNode()).toEqual(['other']);
    expect(await redis.exists(routeKey('gone-live'))).toBe(0);
  });

  it('reports a node it cannot reach, for the caller to retry', async () => {
    const fleet = fleetOf(fleetNode('dead', { controlUrl: 'http://127.0.0.31:9' }));
    const result = await releaseStream('x', { origin: { pod: 'dead', node: 'n', address: 'x' } }, fleet, controls, new RouteMirror(redis));
    expect(result.released).toEqual([]);
    expect(result.failed).toEqual([{ pod: 'dead', error: expect.stringMatching(/dead/) }]);
  });
});
