// One end-to-end environment: a real control plane with the chart rendered and applied, a real
// Redis database, and a TestKubelet running real sfu-node processes for the fleet's pods. The
// operator runs under the chart's ServiceAccount and RBAC, never as admin.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { stringify } from 'yaml';
import { LiveStreamClient, Operator, operatorConfigFromEnv } from '@vilokanam/operator';
import { builtImages } from '../containers/images.ts';
import { ControlPlane } from './ControlPlane.ts';
import { CHART_DIR, helm, kubectl, operatorEnv, renderChart, type Rendered } from './chart.ts';
import { ClusterIPs } from './ClusterIPs.ts';
import { ContainerKubelet } from './ContainerKubelet.ts';
import { loopbackHosts, TestKubelet } from './TestKubelet.ts';

export const RELEASE = 'vilo';
export const NAMESPACE = 'vilokanam';
export const OPERATOR_SA = `${RELEASE}-vilokanam-operator`;
export const SIGNALING_SA = `${RELEASE}-vilokanam-signaling`;
export const SFU_TEMPLATE = `${RELEASE}-vilokanam-sfu-node`;
export const LEASE = `${RELEASE}-vilokanam-operator`;
export const CONTROL_SECRET = 'c'.repeat(48);

const OPERATOR_MAIN = fileURLToPath(import.meta.resolve('@vilokanam/operator/main'));

export interface HarnessOptions {
  hosts: number;
  redisDb: number;
  /** Merged over the test defaults below. */
  values?: Record<string, unknown>;
  log?: Logger;
  /**
   * Run the fleet's pods from the images built from docker/ (scripts/images/build.sh), started by
   * the test kubelet with podman, instead of from this checkout's sources.
   */
  images?: boolean;
  /**
   * Run the whole release as a cluster would: a real kube-controller-manager turns the chart's
   * Deployments into ReplicaSets and Pods, a ContainerKubelet runs those pods (operator,
   * signaling, social, settlement, `helm test` hooks) from the built images, and ClusterIPs
   * stands in for kube-proxy and DNS. The chart is installed as a Helm release, not applied.
   * Implies `images`.
   */
  apps?: boolean;
}

/** Components whose pods ContainerKubelet runs; sfu-node pods are TestKubelet's. */
const APP_PODS = 'app.kubernetes.io/component in (operator,signaling,social,settlement,helm-test)';
/** Env names that hold a listen address in some component: each pod listens on its own IP. */
const BIND_ENV = ['VILO_HOST', 'VILO_OPS_HOST', 'VILO_SETTLEMENT_METRICS_HOST', 'VILO_OPERATOR_METRICS_HOST'];

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' ? merge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}


/** image.registry and image.tag that make the chart name the images this run built. */
async function chartImageValues(): Promise<Record<string, unknown>> {
  const ref = (await builtImages())['sfu-node'];
  const m = /^(.+)\/vilokanam\/sfu-node:(.+)$/.exec(ref);
  if (!m) throw new Error(`unexpected image reference ${ref}`);
  return { image: { registry: m[1], tag: m[2], pullPolicy: 'Never' } };
}

async function startApps(cp: ControlPlane, log: Logger, redisDb: number, values: Record<string, unknown>): Promise<NonNullable<Harness['apps']>> {
  const valuesFile = join(cp.dir, 'values.yaml');
  await writeFile(valuesFile, stringify(values), { mode: 0o600 });
  const admin = cp.adminKubeConfig();
  // Pod IPs and ClusterIPs: loopback blocks of their own, apart from the sfu hosts (127.0.0.x).
  const block = `127.0.${100 + redisDb}`;
  const services = new ClusterIPs({ kc: admin, namespace: NAMESPACE, ips: Array.from({ length: 40 }, (_, i) => `${block}.${100 + i}`), log });
  await services.start();
  const api = new URL(cp.server);
  const kubelet = new ContainerKubelet({
    kc: admin,
    namespace: NAMESPACE,
    labelSelector: APP_PODS,
    podIps: Array.from({ length: 40 }, (_, i) => `${block}.${10 + i}`),
    apiServer: { host: api.hostname, port: Number(api.port), caPem: cp.caPem },
    tokenFor: (account) => cp.tokenFor({ serviceAccount: { namespace: NAMESPACE, name: account } }),
    bindEnv: BIND_ENV,
    hosts: () => services.hosts(),
    log,
  });
  await kubelet.start();
  return { kubelet, services, valuesFile };
}

export class Harness {
  readonly cp: ControlPlane;
  readonly admin: KubeConfig;
  readonly adminKubeconfig: string;
  readonly operatorKubeconfig: string;
  readonly redis: Redis;
  readonly redisUrl: string;
  readonly rendered: Rendered;
  readonly env: Record<string, string>;
  readonly kubelet: TestKubelet;
  /** With `apps`: the pods of the chart's Deployments, and the Services in front of them. */
  readonly apps: { kubelet: ContainerKubelet; services: ClusterIPs; valuesFile: string } | undefined;
  readonly streams: LiveStreamClient;
  readonly log: Logger;
  readonly #operators: Operator[] = [];
  readonly #children: ChildProcess[] = [];

  private constructor(f: Omit<Harness, 'operator' | 'spawnOperator' | 'close' | 'kubectl' | 'helm' | 'sfuPods'>) {
    this.cp = f.cp;
    this.admin = f.admin;
    this.adminKubeconfig = f.adminKubeconfig;
    this.operatorKubeconfig = f.operatorKubeconfig;
    this.redis = f.redis;
    this.redisUrl = f.redisUrl;
    this.rendered = f.rendered;
    this.env = f.env;
    this.kubelet = f.kubelet;
    this.apps = f.apps;
    this.streams = f.streams;
    this.log = f.log;
  }

  static async start(opts: HarnessOptions): Promise<Harness> {
    const file = process.env.VILO_TEST_LOG_FILE;
    const log = opts.log ?? pino({ level: process.env.VILO_TEST_LOG ?? 'silent' }, file ? pino.destination({ dest: file, sync: true }) : undefined);
    const redisUrl = `redis://127.0.0.1:6379/${opts.redisDb}`;
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    const imageValues = opts.images || opts.apps ? await chartImageValues() : {};
    const values = merge(
      {
        secrets: { sfuControlSecret: CONTROL_SECRET, tokenSecret: 't'.repeat(48) },
        redis: { external: { url: redisUrl } },
        postgres: { external: { url: 'postgres://postgres:postgres@127.0.0.1:5432/postgres' } },
        operator: { resyncSeconds: 5, releaseTimeoutSeconds: 10, leaderElection: { leaseDurationSeconds: 6, renewDeadlineSeconds: 4, retryPeriodSeconds: 1 } },
        sfu: {
          // Pub/sub spans Redis databases: a fleet name of its own keeps parallel runs apart.
          fleetName: `e2e-${opts.redisDb}`,
          capacity: 40,
          drainGraceSeconds: 5,
          fleet: { minNodes: 1, maxNodes: opts.hosts, targetUtilization: 0.7, streamReserve: 2, scaleDownDelaySeconds: 1 },
          edges: { scaleDownDelaySeconds: 1 },
        },
      },
      merge(imageValues, opts.values ?? {}),
    );
    const cp = await ControlPlane.start({
      serviceAccounts: [{ namespace: NAMESPACE, name: OPERATOR_SA }, { namespace: NAMESPACE, name: SIGNALING_SA }],
      logger: log,
      ...(opts.apps ? { controllers: ['deployment', 'replicaset', 'garbagecollector'] } : {}),
    });
    try {
      const adminKubeconfig = await cp.writeKubeconfig(join(cp.dir, 'admin.kubeconfig'));
      const operatorKubeconfig = await cp.writeKubeconfig(join(cp.dir, 'operator.kubeconfig'), { serviceAccount: { namespace: NAMESPACE, name: OPERATOR_SA } });
      // The 1.20 apiserver serves policy/v1beta1 only; --kube-version makes the chart choose it.
      const rendered = await renderChart({ release: RELEASE, namespace: NAMESPACE, values, kubeVersion: '1.20.2', includeCrds: true });
      const ns = await kubectl(adminKubeconfig, ['create', 'namespace', NAMESPACE]);
      if (ns.code !== 0) throw new Error(ns.stderr);
      const apps = opts.apps ? await startApps(cp, log, opts.redisDb, values) : undefined;
      if (apps) {
        const installed = await helm(['install', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '-f', apps.valuesFile], adminKubeconfig);
        if (installed.code !== 0) throw new Error(`helm install failed: ${installed.stderr}`);
      } else {
        const applied = await kubectl(adminKubeconfig, ['apply', '-n', NAMESPACE, '-f', '-'], rendered.yaml);
        if (applied.code !== 0) throw new Error(`kubectl apply of the chart failed: ${applied.stderr}`);
      }
      const established = await kubectl(adminKubeconfig, ['wait', '--for', 'condition=established', '--timeout=30s', 'crd/livestreams.streaming.vilokanam.io']);
      if (established.code !== 0) throw new Error(established.stderr);
      const admin = cp.adminKubeConfig();
      const kubelet = new TestKubelet({
        kc: admin,
        namespace: NAMESPACE,
        labelSelector: `streaming.vilokanam.io/fleet=${SFU_TEMPLATE}`,
        hosts: loopbackHosts(opts.hosts, 40 + opts.redisDb * 8),
        log,
        env: { VILO_SFU_WORKERS: '1', VILO_LOG_LEVEL: 'warn' },
        runImages: opts.images || opts.apps || false,
      });
      await kubelet.start();
      const env = { ...operatorEnv(rendered, RELEASE, NAMESPACE), VILO_OPERATOR_METRICS_HOST: '127.0.0.1', VILO_OPERATOR_METRICS_PORT: '0', VILO_FLEET_POLL_MS: '1000' };
      return new Harness({ cp, admin, adminKubeconfig, operatorKubeconfig, redis, redisUrl, rendered, env, kubelet, apps, streams: new LiveStreamClient(admin), log });
    } catch (err) {
      await cp.close();
      redis.disconnect();
      throw err;
    }
  }

  /** An operator in this process, authenticated as the chart's operator ServiceAccount. */
  async operator(identity: string, env: Record<string, string> = {}): Promise<Operator> {
    const config = operatorConfigFromEnv({ ...this.env, VILO_OPERATOR_IDENTITY: identity, ...env });
    const op = new Operator(this.cp.kubeConfigForServiceAccount(NAMESPACE, OPERATOR_SA), config, this.log.child({ operator: identity }), { defaultMetrics: false });
    await op.start();
    this.#operators.push(op);
    return op;
  }

  /** An operator as its own process (node operator/src/main.ts), for kill -9 tests. */
  async spawnOperator(identity: string): Promise<{ child: ChildProcess; metricsUrl: string }> {
    const child = spawn(process.execPath, [OPERATOR_MAIN], {
      env: { ...process.env, ...this.env, VILO_OPERATOR_IDENTITY: identity, KUBECONFIG: this.operatorKubeconfig, VILO_LOG_LEVEL: process.env.VILO_TEST_LOG ?? 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.#children.push(child);
    const metricsUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`operator ${identity} did not start`)), 20_000);
      const file = process.env.VILO_TEST_LOG_FILE;
      child.stdout!.on('data', (chunk: Buffer) => {
        if (file) appendFileSync(file, chunk);
        out += chunk.toString();
        const m = /metrics (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`operator ${identity} exited with ${code}`)));
    });
    return { child, metricsUrl };
  }

  kubectl(args: string[], input?: string) {
    return kubectl(this.adminKubeconfig, args, input);
  }

  /** helm as the cluster admin, in the release's namespace. */
  helm(args: string[]) {
    return helm([...args, '--namespace', NAMESPACE], this.adminKubeconfig);
  }

  async sfuPods(): Promise<string[]> {
    const pods = await this.admin.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NAMESPACE, labelSelector: `streaming.vilokanam.io/fleet=${SFU_TEMPLATE}` });
    return pods.items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!).sort();
  }

  async close(): Promise<void> {
    for (const op of this.#operators) await op.stop().catch(() => undefined);
    for (const c of this.#children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await this.kubelet.stop();
    await this.apps?.kubelet.stop();
    await this.apps?.services.close();
    await this.cp.close();
    await this.redis.flushdb().catch(() => undefined);
    this.redis.disconnect();
  }
}
