// Against the real Redis (database 11): the format signaling reads, change notifications, and
// garbage collection that respects other namespaces.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRouteMessage, ROUTE_CHANNEL, routeKey, StreamRoute } from '@vilokanam/contracts/routes';
import { RouteMirror } from './RouteMirror.ts';
import { waitFor } from '@vilokanam/testkit';

const url = 'redis://127.0.0.1:6379/11';
let redis: Redis;
let sub: Redis;

const route = (streamId: string, namespace = 'live'): StreamRoute => ({
  v: 1,
  streamId,
  namespace,
  generation: 1,
  phase: 'Live',
  origin: { pod: 'sfu-a', node: 'n1', address: '10.0.0.1', controlUrl: 'http://10.0.0.1:7070' },
  edges: [{ pod: 'sfu-b', node: 'n2', address: '10.0.0.2', controlUrl: 'http://10.0.0.2:7070', parent: 'sfu-a', draining: false }],
  policy: { viewersPerEdge: 200, maxViewers: 1000 },
  ingest: 'webrtc',
  simulcast: [{ rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 }],
  pricePerSecond: '100',
  updatedAt: Date.now(),
});

beforeAll(async () => {
  redis = new Redis(url);
  sub = new Redis(url);
  await redis.flushdb();
});
afterAll(async () => {
  await redis.flushdb();
  redis.disconnect();
  sub.disconnect();
});

describe('RouteMirror', () => {
  it('writes the route signaling parses, announces it, and skips unchanged rewrites', async () => {
    const mirror = new RouteMirror(redis);
    const messages: string[] = [];
    sub.on('message', (_c, m) => messages.push(m));
    await sub.subscribe(ROUTE_CHANNEL);
    expect(await mirror.put(route('s1'))).toBe(true);
    expect(await mirror.put({ ...route('s1'), updatedAt: Date.now() + 5 })).toBe(false);
    expect(StreamRoute.parse(JSON.parse((await redis.get(routeKey('s1')))!)).edges[0]!.parent).toBe('sfu-a');
    expect(await redis.pttl(routeKey('s1'))).toBe(-1);
    await mirror.delete('s1');
    expect(await redis.exists(routeKey('s1'))).toBe(0);
    await waitFor('both messages', () => messages.length === 2);
    expect(messages.map((m) => parseRouteMessage(m))).toEqual([expect.objectContaining({ streamId: 's1', phase: 'Live' }), { v: 1, streamId: 's1', deleted: true }]);
  });

  it('rewrites everything after reset (a new leader term)', async () => {
    const mirror = new RouteMirror(redis);
    await mirror.put(route('s2'));
    mirror.reset();
    expect(await mirror.put(route('s2'))).toBe(true);
  });

  it('collects routes of streams that are gone, in its own namespace only', async () => {
    const mirror = new RouteMirror(redis);
    await mirror.put(route('keep'));
    await mirror.put(route('stale'));
    await mirror.put(route('theirs', 'other-namespace'));
    expect(await mirror.collect('live', (id) => id === 'keep' || id === 's2')).toEqual(['stale']);
    expect((await mirror.streamIds()).sort()).toEqual(['keep', 's2', 'theirs']);
  });
});
