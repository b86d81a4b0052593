import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { reportChannel, reportKeyPrefix, type NodeReport } from '@vilokanam/contracts/fleet';
import type { SfuNode } from './SfuNode.ts';

export { REPORT_CHANNEL, REPORT_KEY_PREFIX, reportChannel, reportKeyPrefix, type NodeReport } from '@vilokanam/contracts/fleet';

/**
 * Publishes this node's load to Redis every few seconds. The key expires after three
 * missed reports, so a dead node drops out of routing by itself.
 */
export class LoadReporter {
  readonly #node: SfuNode;
  readonly #redis: Redis;
  readonly #log: Logger;
  readonly #identity: { nodeId: string; controlUrl: string; capacity: number };
  readonly #intervalMs: number;
  readonly #key: string;
  readonly #channel: string;
  #timer: NodeJS.Timeout | undefined;
  draining = false;

  constructor(node: SfuNode, redis: Redis, identity: LoadReporter['identity'], log: Logger, opts: { intervalMs?: number; fleet?: string } = {}) {
    this.#node = node;
    this.#redis = redis;
    this.#identity = identity;
    this.#log = log;
    this.#intervalMs = opts.intervalMs ?? 2000;
    this.#key = reportKeyPrefix(opts.fleet) + identity.nodeId;
    this.#channel = reportChannel(opts.fleet);
  }

  get identity(): { nodeId: string; controlUrl: string; capacity: number } {
    return this.#identity;
  }

  start(): void {
    const tick = () =>
      this.report().catch((err: Error) => this.#log.warn({ err }, 'load report failed'));
    void tick();
    this.#timer = setInterval(tick, this.#intervalMs);
    this.#timer.unref();
  }

  async report(): Promise<NodeReport> {
    const report: NodeReport = { ...(await this.#node.load()), ...this.#identity, draining: this.draining, at: Date.now() };
    const json = JSON.stringify(report);
    await this.#redis
      .multi()
      .set(this.#key, json, 'PX', this.#intervalMs * 3)
      .publish(this.#channel, json)
      .exec();
    return report;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#redis.del(this.#key);
  }
}
