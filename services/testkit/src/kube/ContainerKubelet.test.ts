// The cluster stand-ins against the real parts: a real kube-apiserver and kube-controller-manager
// (Deployment and ReplicaSet controllers), pods run from a real image with podman by
// ContainerKubelet, and ClusterIPs passing TCP to the ready pods. Each pod runs a small HTTP
// server (the pod's own command) that answers with what the kubelet gave it.
import { get } from 'node:http';
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtImages } from '../containers/images.ts';
import { waitFor } from '../wait.ts';
import { ClusterIPs } from './ClusterIPs.ts';
import { ContainerKubelet } from './ContainerKubelet.ts';
import { ControlPlane } from './ControlPlane.ts';

const NS = 'apps';
const SA = { namespace: NS, name: 'echo' };
// Ready only once /tmp/ready exists, so a test can hold a pod unready; the rest echoes the env.
const SERVER = `
import { createServer } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
if (process.env.MARK_READY) writeFileSync('/tmp/ready', '');
createServer((req, res) => {
  if (req.url === '/ready') { res.statusCode = existsSync('/tmp/ready') ? 200 : 503; return res.end(); }
  res.end(JSON.stringify({
    pod: process.env.POD, greeting: process.env.GREETING, secret: readFileSync('/etc/echo/key', 'utf8'),
    token: readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/token', 'utf8').length > 0,
    apiHost: process.env.KUBERNETES_SERVICE_HOST, uid: process.getuid(),
  }));
}).listen(8080, process.env.LISTEN);
process.on('SIGTERM', () => process.exit(0));
`;

let cp: ControlPlane;
let kubelet: ContainerKubelet;
let services: ClusterIPs;
let core: CoreV1Api;
let apps: AppsV1Api;

function deployment(replicas: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'echo', namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'echo' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'echo' } },
        spec: {
          serviceAccountName: SA.name,
          terminationGracePeriodSeconds: 5,
          securityContext: { fsGroup: 10001 },
          containers: [{
            name: 'echo',
            image: '',
            command: ['node', '--input-type=module', '-e', SERVER],
            envFrom: [{ configMapRef: { name: 'echo' } }],
            env: [
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'LISTEN', value: '0.0.0.0' },
              { name: 'MARK_READY', value: '1' },
            ],
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
            securityContext: { runAsUser: 10001, runAsGroup: 10001, readOnlyRootFilesystem: true },
            volumeMounts: [{ name: 'key', mountPath: '/etc/echo' }, { name: 'tmp', mountPath: '/tmp' }],
          }],
          volumes: [
            { name: 'key', secret: { secretName: 'echo', defaultMode: 0o440, items: [{ key: 'key', path: 'key' }] } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
}

/** One request on a connection of its own: the Service picks a replica per connection. */
function echo(url: string): Promise<{ pod: string; greeting: string; secret: string; token: boolean; apiHost: string; uid: number }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  const log = pino({ level: process.env.VILO_TEST_LOG ?? 'silent' });
  cp = await ControlPlane.start({ serviceAccounts: [SA], controllers: ['deployment', 'replicaset'], logger: log });
  const kc = cp.adminKubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  services = new ClusterIPs({ kc, namespace: NS, ips: ['127.0.99.100', '127.0.99.101'], log });
  await services.start();
  const api = new URL(cp.server);
  kubelet = new ContainerKubelet({
    kc,
    namespace: NS,
    labelSelector: 'app in (echo,once)',
    podIps: ['127.0.99.10', '127.0.99.11', '127.0.99.12'],
    apiServer: { host: api.hostname, port: Number(api.port), caPem: cp.caPem },
    tokenFor: (account) => cp.tokenFor({ serviceAccount: { namespace: NS, name: account } }),
    bindEnv: ['LISTEN'],
    hosts: () => services.hosts(),
    log,
  });
  await kubelet.start();
  await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'echo' }, data: { GREETING: 'hello' } } });
  await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'echo' }, stringData: { key: 's3cret' } } });
  await core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'echo' }, spec: { selector: { app: 'echo' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } } });
  const d = deployment(2);
  d.spec.template.spec.containers[0]!.image = (await builtImages()).social;
  await apps.createNamespacedDeployment({ namespace: NS, body: d });
}, 180_000);

afterAll(async () => {
  await kubelet?.stop();
  await services?.close();
  await cp?.close();
}, 60_000);

const ready = () => kubelet.pods().filter((p) => p.ready);

describe('a Deployment on the controller-manager, run by ContainerKubelet', () => {
  it('runs each replica from its image with the pod\'s env, volumes, user and token, each on its own IP', async () => {
    await waitFor('two ready replicas', () => ready().length === 2, 120_000);
    const d = await apps.readNamespacedDeployment({ name: 'echo', namespace: NS });
    await waitFor('the Deployment available', async () => (await apps.readNamespacedDeployment({ name: 'echo', namespace: NS })).status?.availableReplicas === 2, 20_000);
    expect(d.metadata?.generation).toBeGreaterThan(0);
    const [a, b] = ready();
    expect(a!.ip).not.toBe(b!.ip);
    const got = await echo(`http://${a!.ip}:8080/`);
    expect(got).toMatchObject({ pod: a!.name, greeting: 'hello', secret: 's3cret', token: true, apiHost: '127.0.0.1', uid: 10001 });
  });

  it('passes connections to the Service to every ready replica, and none to a replica that is not ready', async () => {
    const url = await services.url('echo', 'http');
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await echo(url)).pod);
    expect([...seen].sort()).toEqual(ready().map((p) => p.name));
  });

  it('restarts a killed container, and ends a Never pod by its exit code', async () => {
    const [victim] = ready();
    await kubelet.killContainer(victim!.name);
    await waitFor('the container back and ready', () => kubelet.pods().find((p) => p.name === victim!.name && p.restarts === 1 && p.ready), 60_000);
    const image = (await builtImages()).social;
    await core.createNamespacedPod({
      namespace: NS,
      body: { metadata: { name: 'once', labels: { app: 'once' } }, spec: { restartPolicy: 'Never', automountServiceAccountToken: false, containers: [{ name: 'once', image, command: ['node', '-e', 'process.exit(3)'] }] } },
    });
    const failed = await waitFor('the pod to fail', async () => {
      const pod = await core.readNamespacedPod({ name: 'once', namespace: NS });
      return pod.status?.phase === 'Failed' ? pod : undefined;
    }, 60_000);
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
    await core.deleteNamespacedPod({ name: 'once', namespace: NS });
  });

  it('rolls the Deployment one surge pod at a time, never below two ready replicas', async () => {
    const before = ready().map((p) => p.name);
    let least = Infinity;
    const watch = setInterval(() => (least = Math.min(least, ready().length)), 100);
    await apps.patchNamespacedDeployment(
      { name: 'echo', namespace: NS, body: [{ op: 'add', path: '/spec/template/metadata/annotations', value: { restartedAt: new Date().toISOString() } }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    await waitFor('two new ready replicas', () => {
      const now = ready();
      return now.length === 2 && now.every((p) => !before.includes(p.name)) && kubelet.pods().length === 2;
    }, 120_000);
    clearInterval(watch);
    expect(least).toBeGreaterThanOrEqual(2);
  });
});
