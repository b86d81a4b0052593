// Real sfu-node processes as separate hosts, in one named fleet on real Redis, and signaling
// started in fleet mode over them. Shared by cascade tests and benches.
//
// Hosts are Linux network namespaces on a private bridge (NetnsBridge) when they can be made:
// each node has its own network stack and address, and node-to-node pipes, signaling's control
// channels and the browsers' media all cross a real link. Otherwise (not root, no iproute2)
// nodes share the machine's stack on distinct 127.0.0.x addresses, with a warning; with
// CI=true that fallback is an error instead, since CI here provides namespaces.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Platform } from '@vilokanam/signaling';
import { NetnsBridge } from '../media/NetnsBridge.ts';
import type { NetnsHost } from '../media/NetnsHost.ts';
import { RedisServer } from '../media/RedisServer.ts';
import { SfuProcess } from '../media/SfuProcess.ts';
import { startWebPlatform } from './platform.ts';
import { waitFor } from '../wait.ts';

export interface TestFleetOptions {
  /** Fleet name (VILO_FLEET): fleets sharing one Redis must not share it. */
  name: string;
  /** Loopback hosts only: the shared Redis, whose database is flushed. Namespaced fleets run their own. */
  redisUrl: string;
  /** Node i gets id `${idPrefix}${i + 1}`; on loopback, address 127.0.0.(firstIp + i). */
  idPrefix: string;
  firstIp: number;
  /** Node i takes RTC ports portBase + i × portSpan up to the next node's. */
  portBase: number;
  portSpan?: number;
  /**
   * Hosts as network namespaces: true requires them, false uses loopback addresses, 'auto'
   * (default) uses them when they can be made and warns when falling back, except that
   * CI=true makes 'auto' require them.
   */
  netns?: boolean | 'auto';
}

interface Network {
  bridge: NetnsBridge;
  redis: RedisServer;
}

export class TestFleet {
  readonly nodes: SfuProcess[] = [];
  readonly secret = randomBytes(32).toString('hex');
  readonly #o: Required<TestFleetOptions>;
  #net: Network | undefined;

  private constructor(o: TestFleetOptions) {
    this.#o = { portSpan: 200, netns: 'auto', ...o };
  }

  /** Sets up the hosts' network and Redis, and starts `size` nodes. */
  static async start(o: TestFleetOptions, size: number): Promise<TestFleet> {
    const fleet = new TestFleet(o);
    try {
      fleet.#net = await network(o.name, o.netns ?? 'auto');
      if (!fleet.#net) await flushSharedRedis(o.redisUrl);
      for (let i = 0; i < size; i++) await fleet.addNode();
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  /** 'netns': every node in its own network namespace; 'loopback': 127.0.0.x on one stack. */
  get hosts(): 'netns' | 'loopback' {
    return this.#net ? 'netns' : 'loopback';
  }

  /** The Redis that nodes report to and signaling must read. */
  get redisUrl(): string {
    return this.#net?.redis.url ?? this.#o.redisUrl;
  }

  async addNode(): Promise<SfuProcess> {
    const i = this.nodes.length;
    const { name, idPrefix, firstIp, portBase, portSpan } = this.#o;
    const host: NetnsHost | undefined = await this.#net?.bridge.addHost();
    const node = await SfuProcess.start({
      nodeId: `${idPrefix}${i + 1}`,
      ip: host?.ip ?? `127.0.0.${firstIp + i}`,
      ...(host ? { netns: host.name } : {}),
      redisUrl: this.redisUrl,
      controlSecret: this.secret,
      fleet: name,
      rtcMinPort: portBase + i * portSpan,
      rtcMaxPort: portBase + (i + 1) * portSpan - 1,
    });
    this.nodes.push(node);
    return node;
  }

  node(nodeId: string): SfuProcess {
    const node = this.nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new Error(`no node ${nodeId} in fleet ${this.#o.name}`);
    return node;
  }

  /** Nodes not killed or stopped. */
  get live(): SfuProcess[] {
    return this.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
  }

  /** Signaling in fleet mode over this fleet, returned once it sees every live node ready. */
  async startPlatform(env: Record<string, string> = {}): Promise<Platform> {
    const platform = await startWebPlatform({
      VILO_SFU_MODE: 'fleet',
      VILO_FLEET: this.#o.name,
      VILO_REDIS_URL: this.redisUrl,
      VILO_SFU_CONTROL_SECRET: this.secret,
      ...env,
    });
    await this.waitReady(platform);
    return platform;
  }

  async waitReady(platform: Platform, count = this.live.length): Promise<void> {
    await waitFor(`${count} ready nodes`, async () => platform.fleet.nodes().filter((n) => n.ready).length, { until: (n) => n === count, timeoutMs: 15_000 });
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    const net = this.#net;
    this.#net = undefined;
    await net?.redis.stop();
    await net?.bridge.stop();
  }
}

/** The namespaced network with its Redis, or undefined for loopback hosts (see TestFleetOptions.netns). */
async function network(name: string, mode: boolean | 'auto'): Promise<Network | undefined> {
  if (mode === false) return undefined;
  const ci = process.env.CI === 'true';
  let bridge: NetnsBridge | undefined;
  let redisHost: NetnsHost;
  try {
    bridge = await NetnsBridge.create();
    redisHost = await bridge.addHost();
  } catch (err) {
    await bridge?.stop();
    const why = (err as Error).message;
    if (mode === true || ci) {
      throw new Error(`fleet ${name}: network namespaces are required${ci ? ' in CI (CI=true)' : ''} but could not be made: ${why}`);
    }
    console.warn(`[TestFleet ${name}] WARNING: no network namespaces (${why}); sfu-nodes fall back to 127.0.0.x addresses on one network stack`);
    return undefined;
  }
  // Redis for a namespaced fleet: a private redis-server on its own host in the fleet's
  // network, rather than a relay to the root namespace's 127.0.0.1:6379. It is reachable as
  // is from every node and from signaling, needs nothing from the test process's event loop,
  // and keeps concurrent runs of the same test (same fleet name and database) apart. Being
  // inside a namespace, it is killed with it, even after a crash (NetnsBridge.removeLeftovers).
  try {
    return { bridge, redis: await RedisServer.start({ host: redisHost }) };
  } catch (err) {
    await bridge.stop();
    throw err;
  }
}

async function flushSharedRedis(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await redis.flushdb();
  } catch (err) {
    throw new Error(`Redis is required at ${url} (scripts/services.sh starts it): ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
