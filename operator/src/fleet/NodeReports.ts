// The load every sfu-node reports to Redis (sfu-node's LoadReporter): read once at start,
// then followed on the report channel, with a periodic re-read in case a message was missed
// (pub/sub is fire-and-forget). A report older than staleMs counts as no report.
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { NodeReport, reportChannel, reportKeyPrefix } from '@vilokanam/contracts/fleet';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';

export interface NodeReportsEvents {
  /** A report arrived; `previous` is the one it replaces, if any. */
  report: [NodeReport, NodeReport | undefined];
  /** A node's reports stopped (or its key vanished). */
  gone: [string];
}

export class NodeReports extends EventEmitter<NodeReportsEvents> {
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #log: Logger;
  readonly #staleMs: number;
  readonly #pollMs: number;
  readonly #reports = new Map<string, NodeReport>();
  readonly #channel: string;
  readonly #prefix: string;
  readonly #untrusted: UntrustedInput;
  #timer: NodeJS.Timeout | undefined;
  #onMessage = (channel: string, json: string) => {
    if (channel === this.#channel) this.#accept(json);
  };

  /** Anything that reaches Redis can publish here: reports failing NodeReport go to `untrusted`. */
  constructor(opts: { redis: Redis; subscriber: Redis; log: Logger; staleMs?: number; pollMs?: number; fleet?: string; untrusted?: UntrustedInput }) {
    super();
    // Pub/sub channels span every database of a Redis server; the fleet name keeps fleets apart.
    this.#channel = reportChannel(opts.fleet);
    this.#prefix = reportKeyPrefix(opts.fleet);
    this.#redis = opts.redis;
    this.#sub = opts.subscriber;
    this.#log = opts.log.child({ component: 'node-reports' });
    this.#staleMs = opts.staleMs ?? 6_000;
    this.#pollMs = opts.pollMs ?? 5_000;
    this.#untrusted = opts.untrusted ?? new UntrustedInput({ count: () => undefined, warn: (obj, msg) => this.#log.warn(obj, msg) });
  }

  async start(): Promise<void> {
    this.#sub.on('message', this.#onMessage);
    await this.#sub.subscribe(this.#channel);
    await this.poll();
    this.#timer = setInterval(() => void this.poll().catch((err: Error) => this.#log.warn({ err }, 'report poll failed')), this.#pollMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#sub.off('message', this.#onMessage);
    await this.#sub.unsubscribe(this.#channel).catch(() => undefined);
  }

  /** A fresh report for this node, or undefined. */
  get(nodeId: string): NodeReport | undefined {
    const r = this.#reports.get(nodeId);
    return r && Date.now() - r.at <= this.#staleMs ? r : undefined;
  }

  all(): NodeReport[] {
    return [...this.#reports.keys()].map((id) => this.get(id)).filter((r): r is NodeReport => r !== undefined);
  }

  /** Re-reads every report key and expires the silent ones. */
  async poll(): Promise<void> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#redis.scan(cursor, 'MATCH', `${this.#prefix}*`, 'COUNT', 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const values = keys.length ? await this.#redis.mget(keys) : [];
    const present = new Set<string>();
    for (const json of values) {
      if (json === null) continue;
      const report = this.#accept(json);
      if (report) present.add(report.nodeId);
    }
    for (const [id, r] of this.#reports) {
      if (!present.has(id) || Date.now() - r.at > this.#staleMs) {
        this.#reports.delete(id);
        this.emit('gone', id);
      }
    }
  }

  #accept(json: string): NodeReport | undefined {
    const report = this.#untrusted.parseJson('load-report', NodeReport, json);
    if (!report) return undefined;
    const previous = this.#reports.get(report.nodeId);
    // Pub/sub and the poll can deliver out of order; keep the newest.
    if (previous && previous.at > report.at) return previous;
    this.#reports.set(report.nodeId, report);
    if (!previous || previous.at !== report.at) this.emit('report', report, previous);
    return report;
  }
}
