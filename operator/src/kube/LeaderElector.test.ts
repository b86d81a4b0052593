// Leader election against a real kube-apiserver Lease.
import { setTimeout as sleep } from 'node:timers/promises';
import { CoordinationV1Api, CoreV1Api, V1MicroTime } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane } from '@vilokanam/testkit/kube';
import { LeaderElector } from './LeaderElector.ts';
import { waitFor } from '@vilokanam/testkit';

const log = pino({ level: 'silent' });
const ns = 'election';
let cp: ControlPlane;
const electors: LeaderElector[] = [];

function elector(identity: string, name: string, opts: { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number } = {}) {
  const e = new LeaderElector({ kc: cp.adminKubeConfig(), namespace: ns, name, identity, leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200, log, ...opts });
  electors.push(e);
  return e;
}

beforeAll(async () => {
  cp = await ControlPlane.start({ logger: log });
  await cp.adminKubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
}, 120_000);
afterAll(async () => {
  for (const e of electors) await e.stop();
  await cp?.close();
});

describe('LeaderElector', () => {
  it('lets exactly one of several candidates lead at any moment', async () => {
    const candidates = ['a', 'b', 'c'].map((id) => elector(id, 'one'));
    let overlaps = 0;
    const timer = setInterval(() => {
      if (candidates.filter((c) => c.leading).length > 1) overlaps++;
    }, 5);
    candidates.forEach((c) => c.start());
    await waitFor('a leader', () => candidates.some((c) => c.leading), 5_000);
    await sleep(1_500);
    clearInterval(timer);
    expect(overlaps).toBe(0);
    expect(candidates.filter((c) => c.leading)).toHaveLength(1);
    const lease = await cp.adminKubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'one', namespace: ns });
    expect(lease.spec?.holderIdentity).toBe(candidates.find((c) => c.leading)!.identity);
    expect(lease.spec?.leaseDurationSeconds).toBe(2);
  });

  it('hands over at once when the leader stops (it releases the lease)', async () => {
    const a = elector('x', 'handover');
    const b = elector('y', 'handover');
    a.start();
    await waitFor('x to lead', () => a.leading, 5_000);
    b.start();
    await sleep(500);
    expect(b.leading).toBe(false);
    const t0 = Date.now();
    await a.stop();
    await waitFor('y to take over', () => b.leading, 3_000);
    // Released lease: the standby's next retry wins it, well inside leaseDuration.
    expect(Date.now() - t0).toBeLessThan(1_500);
  });

  it('waits out a lease another holder keeps fresh, and takes it only after it went stale', async () => {
    const api = cp.adminKubeConfig().makeApiClient(CoordinationV1Api);
    await api.createNamespacedLease({
      namespace: ns,
      body: { metadata: { name: 'foreign', namespace: ns }, spec: { holderIdentity: 'ghost', leaseDurationSeconds: 2, renewTime: new V1MicroTime(), acquireTime: new V1MicroTime() } },
    });
    const e = elector('z', 'foreign');
    const t0 = Date.now();
    e.start();
    await sleep(1_000);
    expect(e.leading).toBe(false);
    expect(e.leader).toBe('ghost');
    await waitFor('z to take the stale lease', () => e.leading, 4_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_000);
    const lease = await api.readNamespacedLease({ name: 'foreign', namespace: ns });
    expect(lease.spec).toMatchObject({ holderIdentity: 'z', leaseTransitions: 1 });
  });

  it('stops leading when it cannot renew before its deadline', async () => {
    const e = elector('w', 'cut', { leaseDurationMs: 2_000, renewDeadlineMs: 800, retryPeriodMs: 200 });
    const stopped = new Promise<void>((r) => e.once('stopped', () => r()));
    e.start();
    await waitFor('w to lead', () => e.leading, 5_000);
    // Someone else (an admin, a split brain) rewrites the lease: every renew now conflicts.
    const api = cp.adminKubeConfig().makeApiClient(CoordinationV1Api);
    const takeover = setInterval(async () => {
      const lease = await api.readNamespacedLease({ name: 'cut', namespace: ns });
      await api.replaceNamespacedLease({ name: 'cut', namespace: ns, body: { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: new V1MicroTime() } } }).catch(() => undefined);
    }, 50);
    const t0 = Date.now();
    await stopped;
    clearInterval(takeover);
    expect(e.leading).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1_500);
  });

  it('refuses timings that would let two replicas overlap', () => {
    expect(() => elector('bad', 'bad', { leaseDurationMs: 1_000, renewDeadlineMs: 1_000 })).toThrow('renewDeadline must be shorter than leaseDuration');
  });
});
