// Runs a real sfu-node process (sfu-node/src/main.ts) as a separate media host would be, for
// cascade tests and benchmarks: inside its own network namespace (NetnsHost), or on its own
// loopback address.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
}

export class SfuProcess {
  readonly nodeId: string;
  readonly child: ChildProcess;
  readonly controlUrl: string;
  readonly exited: Promise<number | null>;

  private constructor(nodeId: string, child: ChildProcess, controlUrl: string, exited: Promise<number | null>) {
    this.nodeId = nodeId;
    this.child = child;
    this.controlUrl = controlUrl;
    this.exited = exited;
  }

  static async start(o: SfuProcessOptions): Promise<SfuProcess> {
    // `ip netns exec` execs rather than forks, so child.pid is the node process itself and
    // kill() below reaches it (NetnsHost.test.ts checks this).
    const [file, args] = o.netns ? ['ip', ['netns', 'exec', o.netns, process.execPath, MAIN]] : [process.execPath, [MAIN]];
    const child = spawn(file, args, {
      env: {
        ...process.env,
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
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
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
    return new SfuProcess(o.nodeId, child, controlUrl, exited);
  }

  /** The process dies at once, as a crashed or unplugged host would. */
  kill(): Promise<number | null> {
    this.child.kill('SIGKILL');
    return this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGINT');
    await this.exited;
  }
}
