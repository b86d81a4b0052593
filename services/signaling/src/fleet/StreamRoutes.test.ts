// StreamRoutes on three real in-process sfu-nodes. Following placed routes (Kubernetes mode):
// edges open parents first with every producer piped over SRTP, viewers go to the emptiest
// serving node, draining edges and full streams are refused, removed edges lose their pipes
// but keep the operator's router, and a moved origin loses the stream's tabs. Placing its
// own (fleet mode): an idle timer does not take away a new edge whose viewer is still joining.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SfuNode, sfuConfigFromEnv, type NodeState, type SfuControl } from '@vilokanam/sfu-node';
import type { Fleet, FleetEvents } from './Fleet.ts';
import type { PlacedRoute, RouteProvider } from './RouteProvider.ts';
import { StreamRoutes, type StreamRoutesEvents } from './StreamRoutes.ts';

const log = pino({ level: 'silent' });
const AUDIO = { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1111 }] };
const VIDEO = { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }], encodings: [{ ssrc: 2222 }] };

/** Three named in-process nodes; placement is not theirs to make here. */
class NodesFleet extends EventEmitter<FleetEvents> implements Fleet {
  readonly byId = new Map<string, SfuNode>();
  nodes(): NodeState[] {
    return [...this.byId.keys()].map((id) => ({ id, ready: true, draining: false, capacity: 1000, consumers: 0 }));
  }
  control(nodeId: string): SfuControl | undefined {
    return this.byId.get(nodeId);
  }
  controls(): Map<string, SfuControl> {
    return new Map(this.byId);
  }
  reserve(): void {}
  async close(): Promise<void> {}
}

/** The provider's side of the contract: a stream is reachable once a route was applied. */
class AppliedRoutes implements RouteProvider {
  ended: string[] = [];
  wanted: [string, number][] = [];
  readonly routes: StreamRoutes;
  constructor(routes: StreamRoutes) {
    this.routes = routes;
  }
  async streamStarting(): Promise<void> {}
  async awaitRoute(streamId: string): Promise<void> {
    if (!this.routes.view(streamId)) throw new Error(`no route for ${streamId}`);
  }
  streamEnded(streamId: string): void {
    this.ended.push(streamId);
  }
  capacityWanted(streamId: string, viewers: number): void {
    this.wanted.push([streamId, viewers]);
  }
  audienceShrank(streamId: string, viewers: number): void {
    this.wanted.push([streamId, -viewers]);
  }
  async close(): Promise<void> {}
}

const fleet = new NodesFleet();
let routes: StreamRoutes;
let provider: AppliedRoutes;

beforeAll(async () => {
  for (const [i, id] of ['a', 'b', 'c'].entries()) {
    const node = new SfuNode({ ...sfuConfigFromEnv({ ...process.env, VILO_SFU_WORKERS: '1', VILO_SFU_RTC_MIN_PORT: String(45000 + i * 100), VILO_SFU_RTC_MAX_PORT: String(45099 + i * 100) }) }, log);
    await node.start();
    fleet.byId.set(id, node);
  }
  routes = new StreamRoutes(fleet, log, { policy: { viewersPerEdge: 2, minEdges: 0, maxEdges: 8 }, fanoutPerNode: 4, edgeIdleMs: 10 });
  provider = new AppliedRoutes(routes);
  routes.attach(provider);
}, 30_000);

afterAll(() => {
  routes?.close();
  for (const n of fleet.byId.values()) n.close();
});

const placed = (origin: string, edges: [string, string, boolean?][], extra: Partial<PlacedRoute> = {}): PlacedRoute => ({
  origin,
  edges: edges.map(([nodeId, parent, draining]) => ({ nodeId, parent, draining: draining ?? false })),
  viewersPerEdge: 2,
  maxViewers: 100,
  ...extra,
});

async function publish(streamId: string): Promise<string[]> {
  const origin = fleet.byId.get('a')!;
  const send = await origin.createTransport(streamId, 'send');
  const audio = await origin.produce(send.id, 'audio', AUDIO);
  const video = await origin.produce(send.id, 'video', VIDEO);
  return [audio.id, video.id];
}

const producersOn = async (id: string, streamId: string) => (await fleet.byId.get(id)!.producers(streamId)).map((p) => p.producerId).sort();

function collect<K extends keyof StreamRoutesEvents>(event: K): StreamRoutesEvents[K][0][] {
  const seen: StreamRoutesEvents[K][0][] = [];
  (routes as EventEmitter).on(event, (e: StreamRoutesEvents[K][0]) => seen.push(e));
  return seen;
}

describe('StreamRoutes with placed routes', () => {
  it('refuses a stream with no placed route instead of placing it', async () => {
    await expect(routes.origin('nowhere')).rejects.toThrow('no route for nowhere');
    expect(routes.view('nowhere')).toBeUndefined();
  });

  it('opens a chained edge parents first and pipes every producer of the origin down it', async () => {
    const ids = await publish('s1');
    const ready = collect('producerready');
    await routes.applyRoute('s1', placed('a', [['c', 'b'], ['b', 'a']]));
    expect(await routes.origin('s1')).toBe('a');
    expect(routes.view('s1')!.edges).toEqual([{ nodeId: 'b', parent: 'a' }, { nodeId: 'c', parent: 'b' }]);
    expect(await producersOn('b', 's1')).toEqual(ids.sort());
    expect(await producersOn('c', 's1')).toEqual(ids.sort());
    expect(ready.filter((e) => e.streamId === 's1').map((e) => e.nodeId).sort()).toEqual(['b', 'b', 'c', 'c']);
  });

  it('pipes a producer added later down the whole chain', async () => {
    const origin = fleet.byId.get('a')!;
    const send = await origin.createTransport('s1', 'send');
    const extra = await origin.produce(send.id, 'video', { ...VIDEO, encodings: [{ ssrc: 3333 }] });
    await routes.producerAdded('s1', extra.id, 'video');
    expect(await producersOn('c', 's1')).toContain(extra.id);
  });

  it('sends viewers to the emptiest serving node, skips draining edges and refuses a full stream', async () => {
    await routes.applyRoute('s1', placed('a', [['b', 'a'], ['c', 'b', true]], { maxViewers: 5 }));
    const picks: string[] = [];
    for (let i = 0; i < 5; i++) {
      const node = await routes.viewerNode('s1');
      routes.viewerJoined('s1', node);
      picks.push(node);
    }
    // a and b alternate up to viewersPerEdge, then the emptiest takes the overflow; c drains.
    expect(picks).toEqual(['a', 'b', 'a', 'b', 'a']);
    // Only the fifth found every node full, and asked for room for five.
    expect(provider.wanted).toEqual([['s1', 5]]);
    await expect(routes.viewerNode('s1')).rejects.toThrow('the stream is full');
    for (const n of picks) routes.viewerLeft('s1', n);
    // Each departure tells the provider the audience left (recorded negated here).
    expect(provider.wanted.slice(1)).toEqual([['s1', -4], ['s1', -3], ['s1', -2], ['s1', -1], ['s1', -0]]);
    // Viewers joined to other signaling replicas count against the cap too.
    expect(await routes.viewerNode('s1', 4)).toBe('a');
    await expect(routes.viewerNode('s1', 5)).rejects.toThrow('the stream is full');
    // Placed edges are never shrunk here, whatever the idle timer says.
    await new Promise((r) => setTimeout(r, 50));
    expect(routes.view('s1')!.edges.map((e) => e.nodeId)).toEqual(['b', 'c']);
  });

  it('closes the pipes of an edge the route dropped but leaves its router to the operator', async () => {
    await routes.applyRoute('s1', placed('a', [['b', 'a']]));
    expect(routes.view('s1')!.edges.map((e) => e.nodeId)).toEqual(['b']);
    await expect.poll(() => producersOn('c', 's1')).toEqual([]);
    expect((await fleet.byId.get('c')!.load()).streams.s1).toBeDefined();
  });

  it('loses every tab of the stream when the origin moves, then follows the new one', async () => {
    const lost = collect('nodelost');
    await routes.applyRoute('s1', placed('b', []));
    expect(lost).toEqual([{ streamId: 's1', nodeId: 'a', wasOrigin: true }]);
    expect(await routes.origin('s1')).toBe('b');
    expect(routes.view('s1')!.edges).toEqual([]);
  });

  it('forgets a route that is gone and tells the provider when the stream ends', async () => {
    const lost = collect('nodelost');
    await routes.applyRoute('s1', undefined);
    expect(lost).toEqual([{ streamId: 's1', nodeId: 'b', wasOrigin: true }]);
    expect(routes.view('s1')).toBeUndefined();
    await routes.applyRoute('s2', placed('c', []));
    routes.endStream('s2');
    expect(provider.ended).toEqual(['s2']);
    expect(routes.view('s2')).toBeUndefined();
  });
});

describe('StreamRoutes placing edges itself', () => {
  it('keeps a new edge whose viewer is still joining when an idle timer fires meanwhile', async () => {
    // Idle edges go at once: the timer armed by a leaving viewer fires while the new edge's pipes are made.
    const own = new StreamRoutes(fleet, log, { policy: { viewersPerEdge: 1, minEdges: 0, maxEdges: 8 }, fanoutPerNode: 4, edgeIdleMs: 0 });
    try {
      const ids = await publish('l1');
      expect(await own.origin('l1')).toBe('a');
      for (const [i, id] of ids.entries()) await own.producerAdded('l1', id, i === 0 ? 'audio' : 'video');
      own.viewerJoined('l1', 'a');
      own.viewerJoined('l1', 'a');
      const node = await own.viewerNode('l1');
      // Another viewer leaves while this one's join (transport, consume) is still landing.
      own.viewerLeft('l1', 'a');
      await new Promise((r) => setTimeout(r, 50));
      own.viewerJoined('l1', node);
      expect(node).not.toBe('a');
      expect(own.view('l1')!.edges.map((e) => e.nodeId)).toEqual([node]);
      expect(await producersOn(node, 'l1')).toEqual([...ids].sort());
    } finally {
      own.endStream('l1');
      own.close();
    }
  });
});
