import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SfuLoad } from './SfuControl.ts';
import type { SfuNode } from './SfuNode.ts';

export interface NodeReport extends SfuLoad {
  nodeId: string;
  controlUrl: string;
  /** Consumers this node may carry. */
  capacity: number;
  draining: boolean;
  at: number;
}

export const REPORT_KEY_PREFIX = 'vilo:sfu:node:';
export const REPORT_CHANNEL = 'vilo:sfu:load';

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
  #timer: NodeJS.Timeout | undefined;
  draining = false;

  constructor(node: SfuNode, redis: Redis, identity: LoadReporter['identity'], log: Logger, intervalMs = 2000) {
    this.#node = node;
    this.#redis = redis;
    this.#identity = identity;
    this.#log = log;
    this.#intervalMs = intervalMs;
  }

  get identity(): { nodeId: string; controlUrl: string; capacity: number } {
    return this.#identity;
  }

  start(): void {
    const tick = () =>
      this.report().catch((err: Error) => this.#log.warn({ err: err.message }, 'load report failed'));
    void tick();
    this.#timer = setInterval(tick, this.#intervalMs);
    this.#timer.unref();
  }

  async report(): Promise<NodeReport> {
    const report: NodeReport = { ...(await this.#node.load()), ...this.#identity, draining: this.draining, at: Date.now() };
    const json = JSON.stringify(report);
    await this.#redis
      .multi()
      .set(REPORT_KEY_PREFIX + this.#identity.nodeId, json, 'PX', this.#intervalMs * 3)
      .publish(REPORT_CHANNEL, json)
      .exec();
    return report;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#redis.del(REPORT_KEY_PREFIX + this.#identity.nodeId);
  }
}
