// The Helm chart and kubectl as the tests use them: render with `helm template`, apply with
// kubectl, and derive the operator's environment from the rendered ConfigMap and Secret so the
// operator under test runs with exactly the chart's settings.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { kubeTools } from './binaries.ts';

export const CHART_DIR = fileURLToPath(new URL('../../../../charts/vilokanam', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(bin: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { env: { ...process.env, ...opts.env }, maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** helm, against the cluster `kubeconfig` names when given (`helm template` needs none). */
export async function helm(args: string[], kubeconfig?: string): Promise<RunResult> {
  const { helm: bin } = await kubeTools();
  return run(bin, kubeconfig ? ['--kubeconfig', kubeconfig, ...args] : args);
}

export async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<RunResult> {
  const { kubectl: bin } = await kubeTools();
  return run(bin, ['--kubeconfig', kubeconfig, ...args], input === undefined ? {} : { input });
}

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

export interface Rendered {
  yaml: string;
  docs: Manifest[];
}

export async function renderChart(opts: { release: string; namespace: string; values: unknown; kubeVersion?: string; includeCrds?: boolean }): Promise<Rendered> {
  const dir = await mkdtemp(join(tmpdir(), 'vilo-chart-'));
  const valuesFile = join(dir, 'values.yaml');
  await writeFile(valuesFile, stringify(opts.values));
  const args = ['template', opts.release, CHART_DIR, '--namespace', opts.namespace, '-f', valuesFile];
  if (opts.kubeVersion) args.push('--kube-version', opts.kubeVersion);
  if (opts.includeCrds) args.push('--include-crds');
  const res = await helm(args);
  if (res.code !== 0) throw new Error(`helm template failed: ${res.stderr.trim()}`);
  const docs = parseAllDocuments(res.stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
  return { yaml: res.stdout, docs };
}

export function find(r: Rendered, kind: string, name: string): Manifest {
  const doc = r.docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`rendered chart has no ${kind} ${name}`);
  return doc;
}

type SecretDoc = Manifest & { data?: Record<string, string>; stringData?: Record<string, string> };

function secretValue(r: Rendered, name: string, key: string): string {
  const secret = find(r, 'Secret', name) as SecretDoc;
  const raw = secret.data?.[key];
  const value = raw === undefined ? secret.stringData?.[key] : Buffer.from(raw, 'base64').toString('utf8');
  if (value === undefined) throw new Error(`rendered Secret ${name} has no key ${key}`);
  return value;
}

/** The Redis URL a component reads from the chart's Redis Secret (never from a ConfigMap). */
export function redisUrlOf(r: Rendered, release: string): string {
  return secretValue(r, `${release}-vilokanam-redis`, 'url');
}

/** The operator container's env as the chart configures it (ConfigMap + fieldRefs + Secrets). */
export function operatorEnv(r: Rendered, release: string, namespace: string): Record<string, string> {
  const name = `${release}-vilokanam-operator`;
  const config = find(r, 'ConfigMap', name) as Manifest & { data: Record<string, string> };
  return {
    ...config.data,
    VILO_OPERATOR_NAMESPACE: namespace,
    VILO_REDIS_URL: redisUrlOf(r, release),
    VILO_SFU_CONTROL_SECRET: secretValue(r, `${release}-vilokanam-secrets`, 'sfu-control-secret'),
  };
}

/** The signaling container's env as the chart configures it (ConfigMap + fieldRef + Secrets). */
export function signalingEnv(r: Rendered, release: string, namespace: string): Record<string, string> {
  const config = find(r, 'ConfigMap', `${release}-vilokanam-signaling`) as Manifest & { data: Record<string, string> };
  const decode = (key: string) => secretValue(r, `${release}-vilokanam-secrets`, key);
  return {
    ...config.data,
    VILO_NAMESPACE: namespace,
    VILO_REDIS_URL: redisUrlOf(r, release),
    VILO_BILLING_SESSION_KEY: decode('billing-session-key'),
    VILO_TOKEN_SECRET: decode('token-secret'),
    VILO_SFU_CONTROL_SECRET: decode('sfu-control-secret'),
    VILO_SESSION_SECRET: decode('session-secret'),
  };
}

/** A social pod's env as the chart configures it (ConfigMap + the session key signaling signs with). */
export function socialEnv(r: Rendered, release: string): Record<string, string> {
  const config = find(r, 'ConfigMap', `${release}-vilokanam-social`) as Manifest & { data: Record<string, string> };
  return { ...config.data, VILO_REDIS_URL: redisUrlOf(r, release), VILO_SESSION_SECRET: secretValue(r, `${release}-vilokanam-secrets`, 'session-secret') };
}
