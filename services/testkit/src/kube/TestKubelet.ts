// Plays scheduler and kubelet for sfu-node pods on the test control plane: binds each new pod
// to a free "host" (a loopback address, one pod per host as the anti-affinity demands), runs a
// REAL sfu-node process for it with the env the pod spec asks for, marks it Running with that
// address, and on deletion drains the process (SIGTERM) before removing the pod for good.
// With `runImages`, it runs the pod's own image with podman (host networking, the pod's env),
// as a real kubelet would; otherwise this checkout's sfu-node sources.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { podInformer } from './podInformer.ts';
import { SfuProcess } from '../media/SfuProcess.ts';
import { isStatus, type Informer } from '@vilokanam/operator';
import { markPodRunning } from './markPodRunning.ts';
import { podEnv } from './podContainer.ts';

export interface TestHost {
  node: string;
  ip: string;
  rtcMinPort: number;
  rtcMaxPort: number;
}

interface Running {
  host: TestHost;
  process: SfuProcess;
}

export interface TestKubeletOptions {
  kc: KubeConfig;
  namespace: string;
  labelSelector: string;
  hosts: TestHost[];
  log: Logger;
  /** Extra env for every sfu-node (e.g. VILO_SFU_WORKERS=1 to spare the test machine). */
  env?: Record<string, string>;
  /** Start each pod's container image with podman instead of a local process. */
  runImages?: boolean;
}

/** Hosts 127.0.0.<first>.. with disjoint RTC port ranges. */
export function loopbackHosts(count: number, first = 40, basePort = 42000): TestHost[] {
  return Array.from({ length: count }, (_, i) => ({
    node: `test-node-${i + 1}`,
    ip: `127.0.0.${first + i}`,
    rtcMinPort: basePort + i * 100,
    rtcMaxPort: basePort + i * 100 + 99,
  }));
}

export class TestKubelet {
  readonly #api: CoreV1Api;
  readonly #o: TestKubeletOptions;
  readonly #informer: Informer<V1Pod>;
  readonly #running = new Map<string, Running>();
  readonly #busy = new Set<string>();
  readonly #log: Logger;
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;
  /** Pod names this kubelet has started, in order. */
  readonly started: string[] = [];
  readonly removed: string[] = [];

  constructor(opts: TestKubeletOptions) {
    this.#o = opts;
    this.#api = opts.kc.makeApiClient(CoreV1Api);
    this.#log = opts.log.child({ component: 'test-kubelet' });
    this.#informer = podInformer({ kc: opts.kc, namespace: opts.namespace, name: 'test-kubelet', log: opts.log, labelSelector: opts.labelSelector, resyncMs: 1_000 });
    for (const verb of ['add', 'update', 'resync'] as const) this.#informer.on(verb, (pod) => this.#enqueue(pod));
  }

  async start(): Promise<void> {
    await this.#informer.start();
  }

  /** Pods with a live sfu-node process, by name. */
  get pods(): string[] {
    return [...this.#running.keys()].sort();
  }

  hostOf(pod: string): TestHost | undefined {
    return this.#running.get(pod)?.host;
  }

  process(pod: string): SfuProcess | undefined {
    return this.#running.get(pod)?.process;
  }

  /** The host dies: its process is killed and the pod marked Failed, as a node controller would. */
  async crash(pod: string): Promise<void> {
    const run = this.#running.get(pod);
    if (!run) throw new Error(`no process for ${pod}`);
    this.#running.delete(pod);
    await run.process.kill();
    await this.#api.patchNamespacedPodStatus(
      { name: pod, namespace: this.#o.namespace, body: { status: { phase: 'Failed', reason: 'NodeLost', conditions: [] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#informer.stop();
    await this.#chain;
    await Promise.all([...this.#running.values()].map((r) => r.process.kill()));
    this.#running.clear();
  }

  // One pod at a time: host choice and process start must not race each other.
  #enqueue(pod: V1Pod): void {
    const name = pod.metadata!.name!;
    if (this.#busy.has(name)) return;
    this.#busy.add(name);
    this.#chain = this.#chain
      .then(() => (this.#stopped ? undefined : this.#sync(name)))
      .catch((err: Error) => this.#log.warn({ pod: name, err: err.message }, 'kubelet step failed'))
      .finally(() => this.#busy.delete(name));
  }

  async #sync(name: string): Promise<void> {
    const pod = this.#informer.get(name, this.#o.namespace);
    if (!pod) return;
    if (pod.metadata?.deletionTimestamp) return this.#terminate(pod);
    if (this.#running.has(name) || pod.status?.phase === 'Failed') return;
    const used = new Set([...this.#running.values()].map((r) => r.host.ip));
    const host = this.#o.hosts.find((h) => !used.has(h.ip));
    if (!host) return; // Unschedulable: stays Pending, as with a real scheduler.
    if (!pod.spec?.nodeName) {
      await this.#api.createNamespacedBinding({
        namespace: this.#o.namespace,
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: host.node } },
      });
    }
    const env = await this.#env(pod, host);
    const process = await SfuProcess.start({
      nodeId: name,
      ip: host.ip,
      redisUrl: env.VILO_REDIS_URL ?? '',
      controlSecret: env.VILO_SFU_CONTROL_SECRET ?? '',
      rtcMinPort: host.rtcMinPort,
      rtcMaxPort: host.rtcMaxPort,
      env,
      ...(this.#o.runImages ? { image: pod.spec!.containers[0]!.image! } : {}),
    });
    this.#running.set(name, { host, process });
    this.started.push(name);
    await markPodRunning(this.#o.kc, this.#o.namespace, name, host.ip, { hostIP: host.ip });
    this.#log.info({ pod: name, host: host.ip }, 'pod running');
  }

  async #terminate(pod: V1Pod): Promise<void> {
    const name = pod.metadata!.name!;
    const run = this.#running.get(name);
    if (run) {
      // SIGTERM: sfu-node drains (reports draining, waits for consumers up to its grace).
      run.process.child.kill('SIGTERM'); // podman passes it on to the container
      await run.process.exited;
      this.#running.delete(name);
    }
    try {
      await this.#api.deleteNamespacedPod({ name, namespace: this.#o.namespace, gracePeriodSeconds: 0 });
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    this.removed.push(name);
    this.#log.info({ pod: name }, 'pod removed');
  }

  /** The pod's env as a kubelet would resolve it, then this test host's addresses and ports. */
  async #env(pod: V1Pod, host: TestHost): Promise<Record<string, string>> {
    const out = await podEnv({ api: this.#api, pod, podIp: host.ip, hostIp: host.ip });
    // The test hosts are loopback addresses with their own port ranges.
    return {
      ...out,
      VILO_SFU_LISTEN_IP: host.ip,
      VILO_SFU_CONTROL_HOST: host.ip,
      VILO_SFU_CONTROL_PORT: '0',
      VILO_SFU_ANNOUNCED_ADDRESS: host.ip,
      VILO_SFU_RTC_MIN_PORT: String(host.rtcMinPort),
      VILO_SFU_RTC_MAX_PORT: String(host.rtcMaxPort),
      ...this.#o.env,
    };
  }
}
