// Runs a real sfu-node process (sfu-node/src/main.ts) as a separate media host would be, for
// cascade tests and benchmarks: inside its own network namespace (NetnsHost), or on its own
// loopback address.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ControlAuth, type SfuLoad } from '@vilokanam/sfu-node/client';
import { Podman } from '../containers/Podman.ts';

const MAIN = fileURLToPath(import.meta.resolve('@vilokanam/sfu-node/main'));

export interface SfuProcessOptions {
  nodeId: string;
  /** Media and control bind here, e.g. 127.0.0.2 or a NetnsHost's address: a distinct host address per node. */
  ip: string;
  /** Network namespace to run in (NetnsHost.name); `ip` must be its address. */
  netns?: string;
  redisUrl: string;
  controlSecret: string;
  rtcMinPort: number;
  rtcMaxPort: number;
  workers?: number;
  capacity?: number;
  /** Fleet name, so concurrent fleets on one Redis stay apart. */
  fleet?: string;
  env?: Record<string, string>;
  /**
   * Run the sfu-node image (docker/sfu-node.Dockerfile, built by scripts/images/build.sh) with
   * podman and host networking instead of this checkout's sources: what a kubelet would run.
   */
  image?: string;
}

export class SfuProcess {
  readonly nodeId: string;
  readonly child: ChildProcess;
  readonly controlUrl: string;
  readonly exited: Promise<number | null>;
  /** The podman container's name, when run from an image. */
  readonly container: string | undefined;
  /** Mints the node-bound tokens /load requires. */
  #auth: ControlAuth | undefined;

  private constructor(nodeId: string, child: ChildProcess, controlUrl: string, exited: Promise<number | null>, container?: string) {
    this.nodeId = nodeId;
    this.container = container;
    this.child = child;
    this.controlUrl = controlUrl;
    this.exited = exited;
  }

  static async start(o: SfuProcessOptions): Promise<SfuProcess> {
    const env = {
      VILO_SFU_NODE_ID: o.nodeId,
      VILO_SFU_LISTEN_IP: o.ip,
      VILO_SFU_CONTROL_HOST: o.ip,
      VILO_SFU_CONTROL_PORT: '0',
      VILO_SFU_CONTROL_SECRET: o.controlSecret,
      VILO_REDIS_URL: o.redisUrl,
      VILO_SFU_RTC_MIN_PORT: String(o.rtcMinPort),
      VILO_SFU_RTC_MAX_PORT: String(o.rtcMaxPort),
      VILO_SFU_WORKERS: String(o.workers ?? 1),
      VILO_SFU_DRAIN_GRACE_MS: '2000',
      VILO_LOG_LEVEL: 'warn',
      ...(o.capacity ? { VILO_SFU_CAPACITY: String(o.capacity) } : {}),
      ...(o.fleet ? { VILO_FLEET: o.fleet } : {}),
      ...o.env,
    };
    const container = o.image ? `vilo-sfu-${o.nodeId}-${randomUUID().slice(0, 6)}` : undefined;
    const child = o.image ? SfuProcess.#spawnImage(o.image, container!, env) : SfuProcess.#spawnLocal(o, env);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const controlUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`sfu-node ${o.nodeId} did not start within 20 s`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /control (http:\/\/\S+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      void exited.then((code) => reject(new Error(`sfu-node ${o.nodeId} exited with ${code} before starting`)));
    });
    const started = new SfuProcess(o.nodeId, child, controlUrl, exited, container);
    started.#auth = new ControlAuth(o.controlSecret);
    return started;
  }

  /** GET /load, with the node-bound control token the node requires of it. */
  async load(): Promise<SfuLoad> {
    const token = await this.#auth!.connectToken('test', { node: this.nodeId, url: this.controlUrl });
    const res = await fetch(`${this.controlUrl}/load`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`sfu-node ${this.nodeId}: /load answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as SfuLoad;
  }

  // `ip netns exec` execs rather than forks, so child.pid is the node process itself and
  // kill() below reaches it (NetnsHost.test.ts checks this).
  static #spawnLocal(o: SfuProcessOptions, env: Record<string, string>): ChildProcess {
    const [file, args] = o.netns ? ['ip', ['netns', 'exec', o.netns, process.execPath, MAIN]] : [process.execPath, [MAIN]];
    return spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  }

  // Only the pod's own env goes in: the host's (its worker path, say) means nothing inside.
  static #spawnImage(image: string, name: string, env: Record<string, string>): ChildProcess {
    const child = Podman.spawn({ image, name, env });
    child.stderr!.pipe(process.stderr);
    return child;
  }

  /** The process dies at once, as a crashed or unplugged host would. */
  async kill(): Promise<number | null> {
    if (this.container) await Podman.remove(this.container);
    else this.child.kill('SIGKILL');
    return this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGINT');
    await this.exited;
  }
}
