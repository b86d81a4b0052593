// The informer against a real kube-apiserver: initial list, watch events, periodic resync, and
// recovery from a list the apiserver refuses (RBAC) once access is granted.
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, RbacAuthorizationV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane } from '@vilokanam/testkit/kube';
import { Informer } from './Informer.ts';
import { waitFor } from '@vilokanam/testkit';

const log = pino({ level: 'silent' });
const ns = 'inform';
const watcher = { namespace: ns, name: 'watcher' };
let cp: ControlPlane;
const informers: Informer<V1ConfigMap>[] = [];

function configMaps(kc = cp.adminKubeConfig(), resyncMs = 60_000) {
  const api = kc.makeApiClient(CoreV1Api);
  const inf = new Informer<V1ConfigMap>({
    kc,
    name: 'cms',
    path: `/api/v1/namespaces/${ns}/configmaps`,
    list: () => api.listNamespacedConfigMap({ namespace: ns, labelSelector: 'test=inform' }),
    labelSelector: 'test=inform',
    resyncMs,
    log,
    maxBackoffMs: 500,
  });
  informers.push(inf);
  return inf;
}

const cm = (name: string, data: Record<string, string> = {}): V1ConfigMap => ({ metadata: { name, namespace: ns, labels: { test: 'inform' } }, data });

beforeAll(async () => {
  cp = await ControlPlane.start({ serviceAccounts: [watcher], logger: log });
  const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('before') });
}, 120_000);
afterAll(async () => {
  for (const i of informers) await i.stop();
  await cp?.close();
});

describe('Informer', () => {
  it('lists, then delivers adds, updates and deletes of matching objects only', async () => {
    const inf = configMaps();
    const seen: string[] = [];
    for (const verb of ['add', 'update', 'delete'] as const) inf.on(verb, (o) => seen.push(`${verb}:${o.metadata!.name}`));
    await inf.start();
    expect(inf.synced).toBe(true);
    expect(inf.list().map((o) => o.metadata!.name)).toEqual(['before']);
    const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('x') });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'unlabelled', namespace: ns } } });
    await core.replaceNamespacedConfigMap({ name: 'x', namespace: ns, body: cm('x', { k: 'v' }) });
    await core.deleteNamespacedConfigMap({ name: 'x', namespace: ns });
    await waitFor('the delete', () => seen.includes('delete:x'), 5_000);
    expect(seen).toEqual(['add:before', 'add:x', 'update:x', 'delete:x']);
    expect(inf.get('x', ns)).toBeUndefined();
  });

  it('re-delivers every cached object each resync period', async () => {
    const inf = configMaps(cp.adminKubeConfig(), 200);
    let resyncs = 0;
    inf.on('resync', () => resyncs++);
    await inf.start();
    await sleep(700);
    expect(resyncs).toBeGreaterThanOrEqual(2);
  });

  it('keeps retrying a refused list and syncs once RBAC allows it', async () => {
    const inf = configMaps(cp.kubeConfigForServiceAccount(watcher.namespace, watcher.name));
    const errors: Error[] = [];
    inf.on('error', (e) => errors.push(e));
    const started = inf.start();
    await waitFor('refused lists', () => errors.length >= 2, 5_000);
    expect(inf.synced).toBe(false);
    const rbac = cp.adminKubeConfig().makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: { metadata: { name: 'cm-reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' }, subjects: [{ kind: 'ServiceAccount', name: watcher.name, namespace: ns }] },
    });
    await started;
    expect(inf.synced).toBe(true);
    expect(inf.list().map((o) => o.metadata!.name)).toEqual(['before']);
    // And it watches from there on.
    await cp.adminKubeConfig().makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: ns, body: cm('after') });
    await waitFor('the watched add', () => inf.get('after', ns) !== undefined, 5_000);
  });
});
