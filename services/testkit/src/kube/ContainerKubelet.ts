// Plays scheduler and kubelet for the pods the controller-manager makes from the chart's
// Deployments, and for `helm test` hook pods: it binds each to a free pod IP (a loopback address;
// the pods share the host's network, so each listens on its own address), starts the pod's own
// image with podman and the pod's env, volumes, user and command, probes its readiness and
// writes the status a kubelet would. A container that exits is restarted (restartPolicy Always)
// or ends the pod (Never). Deleting a pod sends SIGTERM and waits the pod's grace period before
// SIGKILL, then removes it for good.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { CoreV1Api, type KubeConfig, type V1Pod, type V1Probe } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { podInformer } from './podInformer.ts';
import { isStatus, type Informer } from '@vilokanam/operator';
import { Podman } from '../containers/Podman.ts';
import { writePodStatus, type PodState } from './markPodRunning.ts';
import { podContainer } from './podContainer.ts';

export interface ContainerKubeletOptions {
  kc: KubeConfig;
  namespace: string;
  /** The pods this kubelet runs; the sfu-node pods have their own TestKubelet. */
  labelSelector: string;
  /** One pod per address, as every pod has an IP of its own. */
  podIps: string[];
  /** The apiserver as pods reach it (KUBERNETES_SERVICE_HOST/PORT) and its CA. */
  apiServer: { host: string; port: number; caPem: string };
  /** The static token a ServiceAccount's pods authenticate with. */
  tokenFor: (serviceAccount: string) => string;
  /** Env names holding a listen address: unset or a wildcard, they become the pod's own IP. */
  bindEnv: string[];
  /** What cluster DNS would answer inside pods (Service names to their ClusterIP stand-ins). */
  hosts?: () => Promise<Record<string, string>>;
  env?: Record<string, string>;
  log: Logger;
}

interface Running {
  ip: string;
  dir: string;
  pod: V1Pod;
  child?: ChildProcess;
  container?: string;
  ready: boolean;
  restarts: number;
  stopping: boolean;
  probe?: NodeJS.Timeout;
  output: string;
}

export class ContainerKubelet {
  readonly #o: ContainerKubeletOptions;
  readonly #api: CoreV1Api;
  readonly #informer: Informer<V1Pod>;
  readonly #running = new Map<string, Running>();
  readonly #queues = new Map<string, Promise<void>>();
  readonly #log: Logger;
  #stopped = false;

  constructor(opts: ContainerKubeletOptions) {
    this.#o = opts;
    this.#api = opts.kc.makeApiClient(CoreV1Api);
    this.#log = opts.log.child({ component: 'container-kubelet' });
    this.#informer = podInformer({ kc: opts.kc, namespace: opts.namespace, name: 'container-kubelet', log: opts.log, labelSelector: opts.labelSelector, resyncMs: 1_000 });
    for (const verb of ['add', 'update', 'resync'] as const) this.#informer.on(verb, (pod) => this.#enqueue(pod.metadata!.name!));
    // Deleted without a grace period (--force, or by the garbage collector): nothing to drain.
    this.#informer.on('delete', (pod) => void this.#kill(pod.metadata!.name!));
  }

  async start(): Promise<void> {
    await this.#informer.start();
  }

  /** Running pods by name, with their IP and readiness. */
  pods(): { name: string; ip: string; ready: boolean; restarts: number }[] {
    return [...this.#running.entries()].map(([name, r]) => ({ name, ip: r.ip, ready: r.ready, restarts: r.restarts })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The last 20 kB the pod's container printed. */
  output(pod: string): string {
    return this.#running.get(pod)?.output ?? '';
  }

  /** SIGKILL the pod's container, as an OOM kill or a crash would; the kubelet restarts it. */
  async killContainer(pod: string): Promise<void> {
    const run = this.#running.get(pod);
    if (!run?.container) throw new Error(`no container for ${pod}`);
    await Podman.remove(run.container);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#informer.stop();
    await Promise.all(this.#queues.values());
    await Promise.all([...this.#running.keys()].map((name) => this.#kill(name)));
  }

  // Each pod's steps run in order; different pods' steps may overlap (a slow drain blocks no start).
  #enqueue(name: string): void {
    const prev = this.#queues.get(name) ?? Promise.resolve();
    const next = prev
      .then(() => (this.#stopped ? undefined : this.#sync(name)))
      .catch((err: Error) => this.#log.warn({ pod: name, err: err.message }, 'kubelet step failed'));
    this.#queues.set(name, next);
    void next.finally(() => this.#queues.get(name) === next && this.#queues.delete(name));
  }

  async #sync(name: string): Promise<void> {
    const pod = this.#informer.get(name, this.#o.namespace);
    if (!pod) return;
    if (pod.metadata?.deletionTimestamp) return this.#terminate(pod);
    const phase = pod.status?.phase;
    if (this.#running.has(name) || phase === 'Succeeded' || phase === 'Failed') return;
    const used = new Set([...this.#running.values()].map((r) => r.ip));
    const ip = this.#o.podIps.find((a) => !used.has(a));
    if (!ip) return; // Unschedulable: stays Pending, as with a real scheduler.
    const run: Running = { ip, dir: join(tmpdir(), `vilo-pod-${name}-${randomBytes(3).toString('hex')}`), pod, ready: false, restarts: 0, stopping: false, output: '' };
    this.#running.set(name, run);
    try {
      if (!pod.spec?.nodeName) {
        await this.#api.createNamespacedBinding({
          namespace: this.#o.namespace,
          body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: 'test-node-apps' } },
        });
      }
      await mkdir(run.dir, { recursive: true, mode: 0o755 });
      await this.#spawn(name, run);
      await this.#status(name, run, { phase: 'Running', ready: false });
    } catch (err) {
      this.#running.delete(name);
      await rm(run.dir, { recursive: true, force: true });
      throw err;
    }
    this.#probeLoop(name, run);
  }

  async #spawn(name: string, run: Running): Promise<void> {
    const spec = await podContainer({
      api: this.#api,
      pod: run.pod,
      podIp: run.ip,
      hostIp: run.ip,
      dir: run.dir,
      apiServer: this.#o.apiServer,
      tokenFor: this.#o.tokenFor,
      bindEnv: this.#o.bindEnv,
      extraEnv: this.#o.env ?? {},
      addHosts: (await this.#o.hosts?.()) ?? {},
    });
    run.container = `vilo-pod-${name}-${randomBytes(3).toString('hex')}`;
    const child = Podman.spawn({ ...spec, name: run.container });
    run.child = child;
    const keep = (chunk: Buffer): void => {
      run.output = (run.output + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', (code) => void this.#onExit(name, run, child, code));
    this.#log.info({ pod: name, ip: run.ip, image: spec.image }, 'container started');
  }

  async #onExit(name: string, run: Running, child: ChildProcess, code: number | null): Promise<void> {
    if (run.stopping || this.#stopped || run.child !== child) return;
    const restartPolicy = run.pod.spec?.restartPolicy ?? 'Always';
    this.#log.info({ pod: name, code, tail: run.output.slice(-2_000) }, 'container exited');
    run.ready = false;
    if (restartPolicy === 'Never' || (restartPolicy === 'OnFailure' && code === 0)) {
      clearTimeout(run.probe);
      await this.#status(name, run, { phase: code === 0 ? 'Succeeded' : 'Failed', ready: false, exitCode: code ?? 137 }).catch(() => undefined);
      this.#running.delete(name);
      await rm(run.dir, { recursive: true, force: true });
      return;
    }
    run.restarts++;
    await this.#status(name, run, { phase: 'Running', ready: false }).catch(() => undefined);
    // The kubelet's crash-loop back-off starts at 10 s; a test needs the restart sooner.
    await new Promise((r) => setTimeout(r, 1_000));
    if (!run.stopping && !this.#stopped) await this.#spawn(name, run).catch((err: Error) => this.#log.warn({ pod: name, err: err.message }, 'restart failed'));
  }

  #probeLoop(name: string, run: Running): void {
    const container = run.pod.spec!.containers[0]!;
    const probe = container.readinessProbe;
    // Probe every second at most: the chart's periods are for a cluster, not a test's patience.
    const every = Math.min(probe?.periodSeconds ?? 10, 1) * 1_000;
    const tick = async (): Promise<void> => {
      if (run.stopping || this.#stopped || !this.#running.has(name)) return;
      const alive = !!run.child && run.child.exitCode === null && run.child.signalCode === null;
      const ready = alive && (probe ? await this.#probe(run, probe) : true);
      if (ready !== run.ready) {
        run.ready = ready;
        await this.#status(name, run, { phase: 'Running', ready }).catch((err: Error) => this.#log.warn({ pod: name, err: err.message }, 'status write failed'));
        this.#log.info({ pod: name, ready }, 'readiness changed');
      }
      run.probe = setTimeout(() => void tick(), every);
    };
    run.probe = setTimeout(() => void tick(), 200);
  }

  async #probe(run: Running, probe: V1Probe): Promise<boolean> {
    const get = probe.httpGet;
    if (!get) return true;
    const port = typeof get.port === 'number' ? get.port : Number(run.pod.spec!.containers[0]!.ports?.find((p) => p.name === get.port)?.containerPort ?? get.port);
    try {
      const res = await fetch(`http://${run.ip}:${port}${get.path ?? '/'}`, { signal: AbortSignal.timeout((probe.timeoutSeconds ?? 1) * 1_000) });
      await res.body?.cancel();
      return res.status >= 200 && res.status < 400;
    } catch {
      return false;
    }
  }

  async #status(name: string, run: Running, state: Omit<PodState, 'podIP' | 'hostIP' | 'restartCount'>): Promise<void> {
    await writePodStatus(this.#api, this.#o.namespace, name, { ...state, podIP: run.ip, hostIP: run.ip, restartCount: run.restarts });
  }

  async #terminate(pod: V1Pod): Promise<void> {
    const name = pod.metadata!.name!;
    const run = this.#running.get(name);
    if (run && !run.stopping) {
      run.stopping = true;
      clearTimeout(run.probe);
      const child = run.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM'); // podman passes it on to the container
        const grace = (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1_000;
        const timer = setTimeout(() => void Podman.remove(run.container!), grace);
        await exited;
        clearTimeout(timer);
      }
      this.#running.delete(name);
      await rm(run.dir, { recursive: true, force: true });
      this.#log.info({ pod: name }, 'container stopped');
    }
    try {
      await this.#api.deleteNamespacedPod({ name, namespace: this.#o.namespace, gracePeriodSeconds: 0 });
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
  }

  async #kill(name: string): Promise<void> {
    const run = this.#running.get(name);
    if (!run) return;
    run.stopping = true;
    clearTimeout(run.probe);
    if (run.container) await Podman.remove(run.container);
    this.#running.delete(name);
    await rm(run.dir, { recursive: true, force: true });
  }
}
