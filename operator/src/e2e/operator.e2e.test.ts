// End to end against a real kube-apiserver, real Redis and real sfu-node pods run from the
// sfu-node image with podman: the chart
// applied as rendered, the operator under the chart's RBAC, the fleet grown and shrunk with
// demand, edges added and removed with viewers, and a deleted stream released before it goes.
import { CoreV1Api, CustomObjectsApi, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportKeyPrefix, type NodeReport } from '@vilokanam/sfu-node';
import { liveStream, type LiveStream } from '../api/livestream.ts';
import { routeKey, StreamRoute } from '@vilokanam/contracts/routes';
import { isStatus, kubeMessage } from '../kube/errors.ts';
import type { Operator } from '../Operator.ts';
import { Audience } from '@vilokanam/testkit/kube';

import { CONTROL_SECRET, Harness, NAMESPACE, OPERATOR_SA, SFU_TEMPLATE } from '@vilokanam/testkit/kube';
import { waitFor } from '@vilokanam/testkit';

let h: Harness;
let operator: Operator;

const spec = (extra: Record<string, unknown> = {}) => ({
  creator: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
  title: 'Speedrun',
  category: 'games',
  pricePerSecond: '1000000',
  ...extra,
});

async function get(name: string): Promise<LiveStream | undefined> {
  try {
    return await h.streams.get(NAMESPACE, name);
  } catch (err) {
    if (isStatus(err, 404)) return undefined;
    throw err;
  }
}

async function report(pod: string): Promise<NodeReport | undefined> {
  const json = await h.redis.get(reportKeyPrefix(h.env.VILO_FLEET) + pod);
  return json ? (JSON.parse(json) as NodeReport) : undefined;
}

/** Pods whose sfu-node reports a router for the stream. */
async function routersOf(streamId: string): Promise<string[]> {
  const pods = h.kubelet.pods;
  const reports = await Promise.all(pods.map(report));
  return pods.filter((_, i) => reports[i]?.streams[streamId] !== undefined);
}

async function events(name: string): Promise<CoreV1Event[]> {
  const list = await h.admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: NAMESPACE, fieldSelector: `involvedObject.name=${name}` });
  return list.items;
}

beforeAll(async () => {
  h = await Harness.start({ hosts: 3, redisDb: 9, images: true });
  operator = await h.operator('operator-0');
  await waitFor('the operator to lead', () => operator.leading, 15_000);
}, 120_000);
afterAll(() => h?.close(), 60_000);

describe('the chart on a real apiserver', () => {
  it('gives the operator only the access it needs', async () => {
    const sa = h.cp.kubeConfigForServiceAccount(NAMESPACE, OPERATOR_SA);
    const core = sa.makeApiClient(CoreV1Api);
    const custom = sa.makeApiClient(CustomObjectsApi);
    await expect(core.listNamespacedPod({ namespace: NAMESPACE })).resolves.toBeDefined();
    const denied = async (p: Promise<unknown>) => expect(await p.then(() => 200, (e: unknown) => (isStatus(e, 403) ? 403 : e))).toBe(403);
    await denied(core.listNamespacedSecret({ namespace: NAMESPACE }));
    await denied(core.listNamespacedPod({ namespace: 'default' }));
    await denied(custom.deleteNamespacedCustomObject({ group: 'streaming.vilokanam.io', version: 'v1alpha1', namespace: NAMESPACE, plural: 'livestreams', name: 'x' }));
    await denied(core.readNamespacedPodTemplate({ name: 'someone-elses', namespace: NAMESPACE }));
    const can = await h.kubectl(['auth', 'can-i', 'update', 'leases/someone-elses', '-n', NAMESPACE, '--as', `system:serviceaccount:${NAMESPACE}:${OPERATOR_SA}`]);
    expect(can.stdout.trim()).toBe('no');
  });

  it('grows the fleet to its minimum with pods from the chart template', async () => {
    await waitFor('one sfu-node running', () => h.kubelet.pods.length === 1, 30_000);
    const [name] = h.kubelet.pods;
    const pod: V1Pod = await h.admin.makeApiClient(CoreV1Api).readNamespacedPod({ name: name!, namespace: NAMESPACE });
    expect(pod.spec?.hostNetwork).toBe(true);
    expect(pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]?.topologyKey).toBe('kubernetes.io/hostname');
    expect(pod.spec?.containers[0]?.resources?.requests?.cpu).toBe('1');
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'PodTemplate', name: SFU_TEMPLATE, controller: true });
    await waitFor('its load report', () => report(name!));
  });
});

describe('a LiveStream', () => {
  it('goes Live with its origin on the least loaded ready sfu-node, a router there and a route in Redis', async () => {
    const applied = await h.kubectl(['apply', '-n', NAMESPACE, '-f', '-'], JSON.stringify(liveStream('alpha', spec())));
    expect(applied.stderr).toBe('');
    const ls = await waitFor('alpha Live', async () => ((await get('alpha'))?.status?.phase === 'Live' ? get('alpha') : undefined));
    const [pod] = h.kubelet.pods;
    expect(ls!.status!.origin).toEqual({ pod, node: 'test-node-1', address: h.kubelet.hostOf(pod!)!.ip });
    expect(ls!.metadata.finalizers).toContain('streaming.vilokanam.io/release');
    expect(ls!.status!.observedGeneration).toBe(ls!.metadata.generation);
    const ready = ls!.status!.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'True', reason: 'Live', observedGeneration: ls!.metadata.generation });
    expect(ls!.status!.conditions!.map((c) => c.type)).toEqual(['Scheduled', 'OriginReady', 'EdgesReady', 'Publishing', 'Ready']);
    expect(ls!.spec.edges).toEqual({ min: 0, max: 8, viewersPerEdge: 200 });
    await waitFor('the router reported on the origin', async () => (await routersOf('alpha')).join() === pod);
    const route = StreamRoute.parse(JSON.parse((await h.redis.get(routeKey('alpha')))!));
    expect(route).toMatchObject({ streamId: 'alpha', namespace: NAMESPACE, origin: { pod, address: h.kubelet.hostOf(pod!)!.ip }, edges: [] });
    expect(route.origin.controlUrl).toMatch(/^http:\/\/127\.0\.0\.\d+:\d+$/);
    const reasons = (await waitFor('events', async () => ((await events('alpha')).length ? events('alpha') : undefined))).map((e) => e.reason);
    expect(reasons).toContain('OriginPlaced');
  });

  it('shows live values in the printer columns of kubectl get livestreams', async () => {
    const out = await h.kubectl(['get', 'livestreams', '-n', NAMESPACE]);
    expect(out.code).toBe(0);
    const [header, row] = out.stdout.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'PHASE', 'VIEWERS', 'EDGES', 'ORIGIN', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 5)).toEqual(['alpha', 'Live', '0', '0', h.kubelet.pods[0]]);
    const short = await h.kubectl(['get', 'ls', '-n', NAMESPACE, '-o', 'wide']);
    expect(short.stdout).toMatch(/CREATOR\s+TITLE/);
    expect(short.stdout).toContain('Speedrun');
  });

  it('is refused by the schema when its spec is malformed, with every problem named', async () => {
    const bad = liveStream('bad', {
      creator: '',
      title: 'x',
      category: 'Not A Slug',
      pricePerSecond: 12 as unknown as string,
      ingest: 'rtmp' as 'whip',
      edges: { min: 0, max: 99, viewersPerEdge: 0 },
    });
    const fields = ['spec.creator', 'spec.category', 'spec.pricePerSecond', 'spec.ingest', 'spec.edges.max', 'spec.edges.viewersPerEdge'];
    const res = await h.kubectl(['apply', '-n', NAMESPACE, '-f', '-'], JSON.stringify(bad));
    expect(res.code).not.toBe(0);
    for (const field of fields) expect(res.stderr).toContain(field);
    // The apiserver itself refuses it too, whatever the client checks (HTTP 422).
    const err = await h.streams.create(NAMESPACE, bad).then(() => undefined, (e: unknown) => e);
    expect(isStatus(err, 422)).toBe(true);
    const message = kubeMessage(err);
    for (const field of fields) expect(message).toContain(field);
    expect(message).toContain('spec.pricePerSecond in body must be of type string');
    expect(message).toContain('spec.ingest: Unsupported value: "rtmp"');

    const missing = { ...liveStream('bad2', spec()), spec: { title: 't' } };
    const client = await h.kubectl(['apply', '-n', NAMESPACE, '-f', '-'], JSON.stringify(missing));
    expect(client.stderr).toMatch(/missing required field "creator"/);
    const server = await h.kubectl(['apply', '--validate=false', '-n', NAMESPACE, '-f', '-'], JSON.stringify(missing));
    expect(server.code).not.toBe(0);
    expect(server.stderr).toMatch(/spec\.creator: Required value/);
    expect(server.stderr).toMatch(/spec\.pricePerSecond: Required value/);
    expect(await get('bad')).toBeUndefined();
    expect(await get('bad2')).toBeUndefined();
  });

  it('is marked Failed when a rule the schema cannot express is broken, and recovers once fixed', async () => {
    await h.streams.create(NAMESPACE, liveStream('minmax', spec({ edges: { min: 3, max: 1, viewersPerEdge: 10 } })));
    const failed = await waitFor('minmax Failed', async () => ((await get('minmax'))?.status?.phase === 'Failed' ? get('minmax') : undefined));
    expect(failed!.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(failed!.status!.conditions!.find((c) => c.type === 'Ready')!.message).toContain('spec.edges.min (3) exceeds spec.edges.max (1)');
    await h.streams.patchSpec(NAMESPACE, 'minmax', { edges: { min: 0, max: 1, viewersPerEdge: 10 } });
    const fixed = await waitFor('minmax Live', async () => ((await get('minmax'))?.status?.phase === 'Live' ? get('minmax') : undefined));
    expect(fixed!.status!.observedGeneration).toBe(2);
    await h.streams.delete(NAMESPACE, 'minmax');
    await waitFor('minmax gone', async () => (await get('minmax')) === undefined);
  });
});

describe('viewers and the fleet', () => {
  let audience: Audience;

  it('adds edges while viewers per edge exceed viewersPerEdge, growing the fleet for them', async () => {
    await h.streams.create(NAMESPACE, liveStream('busy', spec({ edges: { min: 0, max: 2, viewersPerEdge: 2 } })));
    const live = await waitFor('busy Live', async () => ((await get('busy'))?.status?.phase === 'Live' ? get('busy') : undefined));
    const origin = live!.status!.origin!.pod;
    const ctl = (await waitFor('origin report', () => report(origin))).controlUrl;
    audience = await Audience.publish({ nodeId: origin, controlUrl: ctl, streamId: 'busy', secret: CONTROL_SECRET, log: h.log });
    await audience.join(5);

    // 5 viewers, 2 per node: the origin carries 2, so 2 edges, on 2 new nodes.
    const ls = await waitFor('two edges', async () => {
        const s = await get('busy');
        return s?.status?.edgeCount === 2 && s.status.conditions?.find((c) => c.type === 'EdgesReady')?.status === 'True' ? s : undefined;
      }, 60_000);
    expect(ls!.status!.viewers).toBe(5);
    expect(ls!.status!.conditions!.find((c) => c.type === 'Publishing')).toMatchObject({ status: 'True' });
    const edges = ls!.status!.edges!.map((e) => e.pod).sort();
    expect(edges).not.toContain(origin);
    expect(ls!.status!.edges!.every((e) => e.parent === origin)).toBe(true);
    expect(h.kubelet.pods).toHaveLength(3);
    await waitFor('routers on the edges', async () => (await routersOf('busy')).sort().join() === [origin, ...edges].sort().join());
    const route = StreamRoute.parse(JSON.parse((await h.redis.get(routeKey('busy')))!));
    expect(route.edges.map((e) => e.pod).sort()).toEqual(edges);
    const reasons = (await events('busy')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['OriginPlaced', 'NoCapacity', 'EdgeAdded']));
    const fleetEvents = (await events(SFU_TEMPLATE)).map((e) => e.reason);
    expect(fleetEvents).toContain('NodeCreated');
    const out = await h.kubectl(['get', 'livestreams', 'busy', '-n', NAMESPACE, '--no-headers']);
    expect(out.stdout.trim().split(/\s+/).slice(0, 5)).toEqual(['busy', 'Live', '5', '2', origin]);
  }, 90_000);

  it('removes the edges when viewers leave, then drains and removes the surplus nodes', async () => {
    const before = h.kubelet.pods;
    await audience.leave(5);
    const ls = await waitFor('no edges', async () => ((await get('busy'))?.status?.edgeCount === 0 ? get('busy') : undefined), 30_000);
    expect(ls!.status!.viewers).toBe(0);
    const origin = ls!.status!.origin!.pod;
    await waitFor('routers only on the origin', async () => (await routersOf('busy')).join() === origin, 15_000);
    expect((await events('busy')).map((e) => e.reason)).toContain('EdgeRemoved');

    // Two origins exist (alpha, busy); the fleet keeps the nodes that host them and no more.
    const alphaOrigin = (await get('alpha'))!.status!.origin!.pod;
    const keep = [...new Set([origin, alphaOrigin])].sort();
    await waitFor('the fleet back to the origin hosts', async () => (await h.sfuPods()).join() === keep.join(), 40_000);
    const removed = before.filter((p) => !keep.includes(p));
    await waitFor('their processes drained and their pods removed', () => removed.every((p) => h.kubelet.removed.includes(p)));
    const templateEvents = await events(SFU_TEMPLATE);
    for (const pod of removed) {
      const gone = templateEvents.find((e) => e.reason === 'NodeRemoved' && e.message?.includes(pod));
      expect(gone?.message).toContain('drained');
      const drain = (await events(pod)).find((e) => e.reason === 'NodeDraining');
      expect(drain).toBeDefined();
    }
    audience.close();
  }, 90_000);
});

describe('deleting a LiveStream', () => {
  it('releases its routers and route before the finalizer lets it go', async () => {
    const ls = (await get('alpha'))!;
    const origin = ls.status!.origin!.pod;
    expect(await routersOf('alpha')).toEqual([origin]);
    await h.streams.delete(NAMESPACE, 'alpha');
    await waitFor('alpha gone', async () => (await get('alpha')) === undefined, 20_000);
    expect(await h.redis.get(routeKey('alpha'))).toBeNull();
    await waitFor('no router left for alpha', async () => (await routersOf('alpha')).length === 0, 10_000);
    const released = (await events('alpha')).find((e) => e.reason === 'Released');
    expect(released?.message).toContain(`routers closed on ${origin}`);
  });

  it('ends a stream on spec.ended and keeps the record', async () => {
    await h.streams.patchSpec(NAMESPACE, 'busy', { ended: true });
    const ended = await waitFor('busy Ended', async () => ((await get('busy'))?.status?.phase === 'Ended' ? get('busy') : undefined));
    expect(ended!.status!.origin).toBeUndefined();
    expect(await h.redis.get(routeKey('busy'))).toBeNull();
    await waitFor('no router left for busy', async () => (await routersOf('busy')).length === 0, 10_000);
    await h.streams.delete(NAMESPACE, 'busy');
    await waitFor('busy gone', async () => (await get('busy')) === undefined);
  });
});

describe('the operator', () => {
  it('exposes its decisions and state as Prometheus metrics', async () => {
    const text = await (await fetch(`${operator.metricsUrl}/metrics`)).text();
    expect(text).toMatch(/vilo_operator_leader 1/);
    expect(text).toMatch(/vilo_operator_decisions_total\{decision="origin_placed"\} \d+/);
    expect(text).toMatch(/vilo_operator_decisions_total\{decision="edge_added"\} 2/);
    expect(text).toMatch(/vilo_operator_decisions_total\{decision="node_removed"\} \d+/);
    expect(text).toMatch(/vilo_operator_reconcile_seconds_count\{controller="livestream"\} \d+/);
  });
});
