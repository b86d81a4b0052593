// Two operator replicas as real processes under the chart's RBAC: only the Lease holder acts;
// killing it (SIGKILL, mid-reconcile) hands over to the standby, which resumes from status
// without placing any stream twice; a restarted replica waits as the new standby.
import type { ChildProcess } from 'node:child_process';
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportKeyPrefix, type NodeReport } from '@vilokanam/sfu-node';
import { liveStream, type LiveStream } from '../api/livestream.ts';
import { Harness, LEASE, NAMESPACE } from '@vilokanam/testkit/kube';
import { waitFor } from '@vilokanam/testkit';

let h: Harness;
const replicas = new Map<string, { child: ChildProcess; metricsUrl: string }>();

const spec = { creator: 'creator-1', title: 'HA', category: 'talk', pricePerSecond: '5' };

async function holder(): Promise<string> {
  const lease = await h.admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: LEASE, namespace: NAMESPACE });
  return lease.spec?.holderIdentity ?? '';
}

async function metric(identity: string, name: string): Promise<number> {
  const text = await (await fetch(`${replicas.get(identity)!.metricsUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && !l.startsWith('#'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

async function all(): Promise<LiveStream[]> {
  return (await h.streams.list(NAMESPACE)).items;
}

async function routers(): Promise<Map<string, string[]>> {
  const byStream = new Map<string, string[]>();
  for (const pod of h.kubelet.pods) {
    const json = await h.redis.get(reportKeyPrefix(h.env.VILO_FLEET) + pod);
    const report = json ? (JSON.parse(json) as NodeReport) : undefined;
    for (const id of Object.keys(report?.streams ?? {})) byStream.set(id, [...(byStream.get(id) ?? []), pod].sort());
  }
  return byStream;
}

async function create(names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(names.slice(i, i + 10).map((n) => h.streams.create(NAMESPACE, liveStream(n, spec))));
  }
}

const allLive = (names: string[]) => async () => {
  const phases = new Map((await all()).map((s) => [s.metadata.name, s.status?.phase]));
  return names.every((n) => phases.get(n) === 'Live');
};

beforeAll(async () => {
  h = await Harness.start({ hosts: 2, redisDb: 10, values: { sfu: { capacity: 1000, fleet: { minNodes: 2, maxNodes: 2 } } } });
  for (const id of ['op-a', 'op-b']) replicas.set(id, await h.spawnOperator(id));
}, 120_000);
afterAll(() => h?.close(), 60_000);

describe('two operator replicas', () => {
  let leader = '';
  let standby = '';
  const first = Array.from({ length: 10 }, (_, i) => `first-${i}`);

  it('act only through the replica holding the Lease', async () => {
    leader = await waitFor('a lease holder', async () => {
      const who = await holder();
      return replicas.has(who) ? who : undefined;
    });
    standby = [...replicas.keys()].find((id) => id !== leader)!;
    await waitFor('two sfu-nodes', () => h.kubelet.pods.length === 2, 30_000);
    await create(first);
    await waitFor('the first streams Live', allLive(first), 30_000);

    expect(await metric(leader, 'vilo_operator_leader')).toBe(1);
    expect(await metric(leader, 'vilo_operator_reconciles_total')).toBeGreaterThan(0);
    expect(await metric(standby, 'vilo_operator_leader')).toBe(0);
    expect(await metric(standby, 'vilo_operator_reconciles_total')).toBe(0);
    const events = await h.admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: NAMESPACE });
    const instances = new Set(events.items.map((e) => e.reportingInstance));
    expect([...instances]).toEqual([leader]);
    // Placement spreads by load: both nodes carry origins.
    const origins = new Set((await all()).map((s) => s.status?.origin?.pod));
    expect(origins.size).toBe(2);
  });

  it('hand over to the standby when the leader is killed mid-reconcile, placing nothing twice', async () => {
    const before = new Map((await all()).map((s) => [s.metadata.name, s.status!.origin!.pod]));
    const burst = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
    const creating = create(burst);
    // Kill as soon as part of the burst is placed and part is not.
    await waitFor('part of the burst placed', async () => (await all()).some((s) => s.metadata.name.startsWith('burst-') && s.status?.origin), { timeoutMs: 20_000, everyMs: 20 });
    const killed = replicas.get(leader)!.child;
    killed.kill('SIGKILL');
    await new Promise((r) => killed.once('exit', r));
    const placedAtKill = new Map((await all()).filter((s) => s.status?.origin).map((s) => [s.metadata.name, s.status!.origin!.pod]));
    await creating;
    expect(placedAtKill.size).toBeLessThan(first.length + burst.length);

    await waitFor('the standby to take the lease', async () => (await holder()) === standby, 30_000);
    await waitFor('every stream Live', allLive([...first, ...burst]), 60_000);

    const streams = await all();
    for (const s of streams) {
      // Anything placed before the kill stays where it was: the standby resumed from status.
      const was = placedAtKill.get(s.metadata.name) ?? before.get(s.metadata.name);
      if (was) expect(s.status!.origin!.pod).toBe(was);
    }
    // Exactly one router per stream, on its origin: no duplicate placement survived.
    await waitFor('one router per stream, on its origin', async () => {
        const byStream = await routers();
        return streams.every((s) => byStream.get(s.metadata.name)?.join() === s.status!.origin!.pod);
      }, 20_000);
    expect(await metric(standby, 'vilo_operator_leader')).toBe(1);
    expect(h.kubelet.started).toHaveLength(2);
  }, 120_000);

  it('take back a restarted replica as the standby', async () => {
    replicas.set(leader, await h.spawnOperator(leader));
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await holder()).toBe(standby);
    expect(await metric(leader, 'vilo_operator_leader')).toBe(0);
    expect(await metric(leader, 'vilo_operator_reconciles_total')).toBe(0);
  });
});
