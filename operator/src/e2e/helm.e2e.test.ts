// The chart as an SRE uses it: a Helm release on a real kube-apiserver. install, then an upgrade
// that changes a value (the Deployments roll: new pod template, surge without unavailability),
// rollback to the first revision, and uninstall leaving only what docs/kubernetes.md says is kept.
import { AppsV1Api, CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CHART_DIR, ControlPlane, helm as helmBin, kubectl as kubectlBin, type RunResult } from '@vilokanam/testkit/kube';

const NS = 'vilo-helm';
const RELEASE = 'rel';
let cp: ControlPlane;
let kubeconfig: string;
let valuesFile: string;

const values = {
  redis: { external: { url: 'redis://:redis-password-for-the-release-test@127.0.0.1:6379/14' } },
  postgres: { external: { url: 'postgres://postgres:postgres@127.0.0.1:5432/postgres' } },
};

async function helm(args: string[]): Promise<RunResult> {
  const res = await helmBin(['--kubeconfig', kubeconfig, '--namespace', NS, ...args]);
  if (res.code !== 0) throw new Error(`helm ${args[0]} failed: ${res.stderr.trim()}`);
  return res;
}

const apps = () => cp.adminKubeConfig().makeApiClient(AppsV1Api);
const core = () => cp.adminKubeConfig().makeApiClient(CoreV1Api);
const deployments = async (): Promise<V1Deployment[]> => (await apps().listNamespacedDeployment({ namespace: NS })).items;
const templateOf = async (name: string) => (await apps().readNamespacedDeployment({ name, namespace: NS })).spec!.template;

beforeAll(async () => {
  cp = await ControlPlane.start({});
  const dir = await mkdtemp(join(tmpdir(), 'vilo-helm-'));
  kubeconfig = await cp.writeKubeconfig(join(dir, 'admin.kubeconfig'));
  valuesFile = join(dir, 'values.yaml');
  await writeFile(valuesFile, stringify(values));
}, 120_000);
afterAll(() => cp?.close(), 60_000);

describe('the chart as a Helm release', () => {
  let firstSecrets: Record<string, string>;
  let firstTemplate: Record<string, string> | undefined;

  it('installs, generating every shared secret', async () => {
    await helm(['install', RELEASE, CHART_DIR, '--create-namespace', '-f', valuesFile]);
    const names = (await deployments()).map((d) => d.metadata!.name).sort();
    expect(names).toEqual(expect.arrayContaining([`${RELEASE}-vilokanam-operator`, `${RELEASE}-vilokanam-signaling`, `${RELEASE}-vilokanam-social`]));
    const secret = await core().readNamespacedSecret({ name: `${RELEASE}-vilokanam-secrets`, namespace: NS });
    firstSecrets = secret.data ?? {};
    firstTemplate = (await templateOf(`${RELEASE}-vilokanam-signaling`)).metadata?.annotations;
    for (const key of ['sfu-control-secret', 'token-secret', 'session-secret']) {
      expect(Buffer.from(firstSecrets[key] ?? '', 'base64').length, key).toBeGreaterThanOrEqual(32);
    }
    const status = JSON.parse((await helm(['status', RELEASE, '-o', 'json'])).stdout) as { info: { status: string }; version: number };
    expect(status.info.status).toBe('deployed');
    expect(status.version).toBe(1);
  }, 120_000);

  it('upgrades with a changed value as a rolling update, keeping the secrets', async () => {
    const name = `${RELEASE}-vilokanam-signaling`;
    const before = await templateOf(name);
    await helm(['upgrade', RELEASE, CHART_DIR, '-f', valuesFile, '--set', 'signaling.logLevel=debug']);
    const after = await apps().readNamespacedDeployment({ name, namespace: NS });
    // A changed config changes the pod template (its checksum annotation), which is what makes
    // the Deployment controller roll new pods in; the strategy never takes a replica away first.
    expect(after.spec!.template.metadata?.annotations).not.toEqual(before.metadata?.annotations);
    expect(after.spec!.strategy?.type ?? 'RollingUpdate').toBe('RollingUpdate');
    expect(String(after.spec!.strategy?.rollingUpdate?.maxUnavailable ?? '25%')).toMatch(/^(0|0%)$/);
    const secret = await core().readNamespacedSecret({ name: `${RELEASE}-vilokanam-secrets`, namespace: NS });
    for (const key of Object.keys(firstSecrets)) expect(secret.data?.[key], key).toBe(firstSecrets[key]);
  }, 120_000);

  it('rolls back to the first revision', async () => {
    const name = `${RELEASE}-vilokanam-signaling`;
    await helm(['rollback', RELEASE, '1']);
    const history = JSON.parse((await helm(['history', RELEASE, '-o', 'json'])).stdout) as { revision: number; status: string; description: string }[];
    expect(history.map((h) => h.revision)).toEqual([1, 2, 3]);
    expect(history.at(-1)!.description).toMatch(/Rollback to 1/);
    const config = await core().readNamespacedConfigMap({ name: `${RELEASE}-vilokanam-signaling`, namespace: NS });
    expect(config.data?.VILO_LOG_LEVEL).toBe('info');
    // The same pod template as revision 1, so the rollback rolls the pods back too.
    expect((await templateOf(name)).metadata?.annotations).toEqual(firstTemplate);
  }, 120_000);

  it('uninstalls, leaving only the kept Secret and the CRD', async () => {
    await helm(['uninstall', RELEASE, '--wait', '--timeout', '60s']);
    const left = await kubectlBin(kubeconfig, ['get', 'all,configmaps,secrets,serviceaccounts,roles,rolebindings,poddisruptionbudgets,networkpolicies,podtemplates,ingresses', '-n', NS, '-o', 'name']);
    expect(left.code, left.stderr).toBe(0);
    const names = left.stdout.split('\n').filter((l) => l && !/default-token|serviceaccount\/default|kube-root-ca/.test(l));
    expect(names).toEqual([`secret/${RELEASE}-vilokanam-secrets`]);
    const crd = await kubectlBin(kubeconfig, ['get', 'crd', 'livestreams.streaming.vilokanam.io', '-o', 'name']);
    expect(crd.stdout.trim()).toBe('customresourcedefinition.apiextensions.k8s.io/livestreams.streaming.vilokanam.io');
  }, 120_000);
});
