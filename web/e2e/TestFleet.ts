// Real sfu-node processes, each on its own loopback address, in one named fleet on real
// Redis, and signaling started in fleet mode over them. Shared by cascade tests and benches.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Platform } from '@vilokanam/signaling';
import { SfuProcess } from '../../sfu-node/src/testing/SfuProcess.ts';
import { startWebPlatform } from './platform.ts';
import { pollUntil } from './studio.ts';

export interface TestFleetOptions {
  /** Fleet name (VILO_FLEET): fleets sharing one Redis must not share it. */
  name: string;
  redisUrl: string;
  /** Node i gets id `${idPrefix}${i + 1}` and address 127.0.0.(firstIp + i). */
  idPrefix: string;
  firstIp: number;
  /** Node i takes RTC ports portBase + i × portSpan up to the next node's. */
  portBase: number;
  portSpan?: number;
}

export class TestFleet {
  readonly nodes: SfuProcess[] = [];
  readonly secret = randomBytes(32).toString('hex');
  readonly #o: Required<TestFleetOptions>;

  private constructor(o: TestFleetOptions) {
    this.#o = { portSpan: 200, ...o };
  }

  /** Flushes the fleet's Redis database and starts `size` nodes. */
  static async start(o: TestFleetOptions, size: number): Promise<TestFleet> {
    const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      await redis.flushdb();
    } catch (err) {
      throw new Error(`Redis is required at ${o.redisUrl} (scripts/services.sh starts it): ${(err as Error).message}`);
    } finally {
      redis.disconnect();
    }
    const fleet = new TestFleet(o);
    try {
      for (let i = 0; i < size; i++) await fleet.addNode();
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  async addNode(): Promise<SfuProcess> {
    const i = this.nodes.length;
    const { name, redisUrl, idPrefix, firstIp, portBase, portSpan } = this.#o;
    const node = await SfuProcess.start({
      nodeId: `${idPrefix}${i + 1}`,
      ip: `127.0.0.${firstIp + i}`,
      redisUrl,
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
      VILO_REDIS_URL: this.#o.redisUrl,
      VILO_SFU_CONTROL_SECRET: this.secret,
      ...env,
    });
    await this.waitReady(platform);
    return platform;
  }

  async waitReady(platform: Platform, count = this.live.length): Promise<void> {
    await pollUntil(async () => platform.fleet.nodes().filter((n) => n.ready).length, (n) => n === count, 15_000, `${count} ready nodes`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
