// How pods and load reports combine into the fleet the placement functions see. Reports come
// from the real Redis (database 12, its own fleet name); pods are the objects an informer holds.
import type { V1Pod } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportKeyPrefix, type NodeReport } from '@vilokanam/sfu-node/client';
import { RoutingIndex } from '../reconcile/RoutingIndex.ts';
import { DRAINING_ANNOTATION, FleetState } from './FleetState.ts';
import { NodeReports } from './NodeReports.ts';

const FLEET = 'fleet-state-test';
let redis: Redis;
let sub: Redis;
let reports: NodeReports;

function pod(name: string, opts: { ready?: boolean; draining?: string; deleting?: boolean; phase?: string } = {}): V1Pod {
  return {
    metadata: {
      name,
      annotations: opts.draining ? { [DRAINING_ANNOTATION]: opts.draining } : {},
      ...(opts.deleting ? { deletionTimestamp: new Date() } : {}),
    },
    spec: { nodeName: `node-${name}`, containers: [{ name: 'sfu-node' }] },
    status: {
      phase: opts.phase ?? 'Running',
      hostIP: '10.0.0.1',
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

const report = (nodeId: string, consumers: number): NodeReport => ({
  nodeId,
  controlUrl: `http://10.0.0.1:7070`,
  capacity: 100,
  draining: false,
  at: Date.now(),
  workers: 1,
  routers: 1,
  transports: 0,
  producers: 0,
  consumers,
  bitrateOut: 0,
  workerDeaths: 0,
  streams: {},
});

beforeAll(async () => {
  redis = new Redis('redis://127.0.0.1:6379/12');
  sub = new Redis('redis://127.0.0.1:6379/12');
  for (const [id, consumers] of [['a', 10], ['b', 0], ['d', 4], ['e', 0]] as const) {
    await redis.set(reportKeyPrefix(FLEET) + id, JSON.stringify(report(id, consumers)), 'PX', 10_000);
  }
  reports = new NodeReports({ redis, subscriber: sub, log: pino({ level: 'silent' }), fleet: FLEET });
  await reports.start();
});
afterAll(async () => {
  await reports.stop();
  for (const id of ['a', 'b', 'd', 'e']) await redis.del(reportKeyPrefix(FLEET) + id);
  redis.disconnect();
  sub.disconnect();
});

describe('FleetState', () => {
  const pods = [
    pod('a'),
    pod('b', { ready: false }),
    pod('c'),
    pod('d', { draining: '2026-01-01T00:00:00Z' }),
    pod('e', { deleting: true }),
    pod('f', { phase: 'Failed' }),
  ];

  it('calls a pod ready only when Kubernetes says Ready and it reports load', () => {
    const fleet = new FleetState(() => pods, reports, new RoutingIndex(), { reservePerStream: 5, defaultCapacity: 50 });
    const nodes = fleet.nodes();
    expect([...nodes.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(nodes.get('a')).toMatchObject({ state: 'ready', ready: true, consumers: 10, capacity: 100, node: 'node-a', address: '10.0.0.1' });
    expect(nodes.get('b')).toMatchObject({ state: 'starting', ready: false });
    expect(nodes.get('c')).toMatchObject({ state: 'starting', ready: false, capacity: 50, controlUrl: undefined });
    expect(nodes.get('d')).toMatchObject({ state: 'draining', draining: true, drainingSinceMs: Date.parse('2026-01-01T00:00:00Z') });
    expect(nodes.get('e')).toMatchObject({ terminating: true, draining: true });
  });

  it('loads each node with a reservation per origin it hosts, for placement and sizing', () => {
    const routing = new RoutingIndex();
    routing.set('ns/s1', { origin: { pod: 'a', node: 'n', address: 'x' } });
    routing.set('ns/s2', { origin: { pod: 'a', node: 'n', address: 'x' }, edges: [{ pod: 'b', node: 'n', address: 'x', parent: 'a', viewers: 0 }] });
    const fleet = new FleetState(() => pods, reports, routing, { reservePerStream: 5, defaultCapacity: 50 });
    const placement = fleet.placementNodes();
    expect(placement.find((n) => n.id === 'a')).toEqual({ id: 'a', ready: true, draining: false, capacity: 100, consumers: 20 });
    expect(placement.map((n) => n.id)).not.toContain('e');
    const members = fleet.members();
    expect(members.find((m) => m.id === 'a')).toMatchObject({ hostsOrigin: true, hostsEdges: false, consumers: 20 });
    expect(members.find((m) => m.id === 'b')).toMatchObject({ hostsOrigin: false, hostsEdges: true, state: 'starting' });
    // A draining node is judged by what it really carries.
    expect(members.find((m) => m.id === 'd')).toMatchObject({ state: 'draining', consumers: 4 });
  });
});
