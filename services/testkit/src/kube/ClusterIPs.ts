// Plays kube-proxy and cluster DNS for one namespace: every Service with a selector gets a
// ClusterIP stand-in (a loopback address of its own, listening on the Service's ports) that
// passes each TCP connection to one ready, non-terminating pod the selector matches, on the
// target port (named ports resolved from the pod's containers). ContainerKubelet writes the
// Services' DNS names into each pod's /etc/hosts. For clients outside the "cluster" (the test's
// browsers and viewers), `url()` gives a node port on 127.0.0.1, as a NodePort or an ingress would.
import { CoreV1Api, type KubeConfig, type V1Pod, type V1Service, type V1ServicePort } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { podInformer } from './podInformer.ts';
import type { Informer } from '@vilokanam/operator';
import { TcpBalancer, type Backend } from '../net/TcpBalancer.ts';

export interface ClusterIPsOptions {
  kc: KubeConfig;
  namespace: string;
  /** Addresses to hand out as ClusterIPs, one per Service. */
  ips: string[];
  log: Logger;
}

interface ServiceProxy {
  ip: string;
  /** By port name (or number as a string): the ClusterIP listener and the node port. */
  ports: Map<string, { cluster: TcpBalancer; node: TcpBalancer }>;
}

export class ClusterIPs {
  readonly #o: ClusterIPsOptions;
  readonly #api: CoreV1Api;
  readonly #pods: Informer<V1Pod>;
  readonly #services = new Map<string, Promise<ServiceProxy>>();
  readonly #log: Logger;

  constructor(opts: ClusterIPsOptions) {
    this.#o = opts;
    this.#api = opts.kc.makeApiClient(CoreV1Api);
    this.#log = opts.log.child({ component: 'cluster-ips' });
    this.#pods = podInformer({ kc: opts.kc, namespace: opts.namespace, name: 'cluster-ips', log: opts.log, resyncMs: 5_000 });
  }

  async start(): Promise<void> {
    await this.#pods.start();
  }

  /** Every Service's DNS names to its ClusterIP stand-in, for a pod's /etc/hosts. */
  async hosts(): Promise<Record<string, string>> {
    const ns = this.#o.namespace;
    const out: Record<string, string> = {};
    for (const svc of (await this.#api.listNamespacedService({ namespace: ns })).items) {
      if (!svc.spec?.selector) continue;
      const { ip } = await this.#ensure(svc);
      const name = svc.metadata!.name!;
      for (const host of [name, `${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`]) out[host] = ip;
    }
    return out;
  }

  /** A node port for the Service's port (by name or number), for clients outside the cluster. */
  async url(service: string, port: string | number): Promise<string> {
    const svc = await this.#api.readNamespacedService({ name: service, namespace: this.#o.namespace });
    const proxy = await this.#ensure(svc);
    const listener = proxy.ports.get(String(port));
    if (!listener) throw new Error(`service ${service} has no port ${port}`);
    return listener.node.url;
  }

  /** The pods a new connection to the Service may reach now: ready and not terminating. */
  endpoints(svc: V1Service, port: V1ServicePort): Backend[] {
    const selector = Object.entries(svc.spec?.selector ?? {});
    const out: Backend[] = [];
    for (const pod of this.#pods.list()) {
      if (pod.metadata?.namespace !== this.#o.namespace || pod.metadata.deletionTimestamp || !pod.status?.podIP) continue;
      if (!selector.every(([k, v]) => pod.metadata?.labels?.[k] === v)) continue;
      if (pod.status.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') continue;
      const target = port.targetPort ?? port.port;
      const number = typeof target === 'number' || /^\d+$/.test(target) ? Number(target) : pod.spec?.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target)?.containerPort;
      if (number !== undefined) out.push({ host: pod.status.podIP, port: number });
    }
    return out.sort((a, b) => a.host.localeCompare(b.host));
  }

  async close(): Promise<void> {
    await this.#pods.stop();
    for (const p of this.#services.values()) {
      const proxy = await p.catch(() => undefined);
      for (const { cluster, node } of proxy?.ports.values() ?? []) await Promise.all([cluster.close(), node.close()]);
    }
  }

  #ensure(svc: V1Service): Promise<ServiceProxy> {
    const name = svc.metadata!.name!;
    let p = this.#services.get(name);
    if (!p) {
      p = this.#listen(svc, this.#o.ips[this.#services.size]);
      this.#services.set(name, p);
    }
    return p;
  }

  async #listen(svc: V1Service, ip: string | undefined): Promise<ServiceProxy> {
    if (!ip) throw new Error(`no ClusterIP left for service ${svc.metadata!.name}`);
    const ports = new Map<string, { cluster: TcpBalancer; node: TcpBalancer }>();
    for (const port of svc.spec?.ports ?? []) {
      // The selector is the Service's at first sight: the chart never changes one in an upgrade.
      const backends = () => this.endpoints(svc, port);
      const pair = { cluster: await TcpBalancer.start(backends, ip, port.port), node: await TcpBalancer.start(backends) };
      ports.set(port.name ?? String(port.port), pair);
      ports.set(String(port.port), pair);
    }
    this.#log.info({ service: svc.metadata!.name, ip }, 'service proxied');
    return { ip, ports };
  }
}
