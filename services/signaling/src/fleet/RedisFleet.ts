import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { NodeReport } from '@vilokanam/contracts/fleet';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { RemoteSfu, reportChannel, reportKeyPrefix, type ControlAuth, type NodeState, type SfuControl } from '@vilokanam/sfu-node/client';
import type { Fleet, FleetEvents } from './Fleet.ts';

interface Member {
  report: NodeReport;
  control: RemoteSfu;
}

/**
 * Nodes discovered from the load they report through Redis, each driven over its
 * authenticated control channel. A node is dropped the moment its channel closes, or
 * when its reports stop.
 */
export class RedisFleet extends EventEmitter<FleetEvents> implements Fleet {
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #auth: ControlAuth;
  readonly #log: Logger;
  readonly #staleMs: number;
  readonly #channel: string;
  readonly #keyPrefix: string;
  readonly #members = new Map<string, Member>();
  readonly #untrusted: UntrustedInput;
  #timer: NodeJS.Timeout | undefined;

  /** Anything that reaches Redis can publish on the report channel: `untrusted` counts what fails NodeReport. */
  constructor(opts: { redis: Redis; subscriber: Redis; auth: ControlAuth; log: Logger; untrusted: UntrustedInput; staleMs?: number; fleet?: string }) {
    super();
    this.#redis = opts.redis;
    this.#sub = opts.subscriber;
    this.#auth = opts.auth;
    this.#log = opts.log.child({ component: 'fleet' });
    this.#staleMs = opts.staleMs ?? 6000;
    this.#channel = reportChannel(opts.fleet);
    this.#keyPrefix = reportKeyPrefix(opts.fleet);
    this.#untrusted = opts.untrusted;
  }

  async start(): Promise<void> {
    this.#sub.on('message', (channel: string, json: string) => {
      if (channel === this.#channel) this.#accept(json);
    });
    await this.#sub.subscribe(this.#channel);
    // SCAN, not KEYS: the shared Redis also holds every viewer's tick windows.
    const keys: string[] = [];
    for await (const batch of this.#redis.scanStream({ match: `${this.#keyPrefix}*`, count: 500 })) keys.push(...(batch as string[]));
    const reports = keys.length ? await this.#redis.mget(keys) : [];
    for (const r of reports) if (r !== null) this.#accept(r);
    this.#timer = setInterval(() => this.#expire(), 1000);
    this.#timer.unref();
  }

  nodes(): NodeState[] {
    return [...this.#members.values()].map(({ report, control }) => ({
      id: report.nodeId,
      ready: control.connected,
      draining: report.draining,
      capacity: report.capacity,
      consumers: report.consumers,
    }));
  }

  /** Viewers a node carries per stream, from its own report. */
  report(nodeId: string): NodeReport | undefined {
    return this.#members.get(nodeId)?.report;
  }

  control(nodeId: string): SfuControl | undefined {
    return this.#members.get(nodeId)?.control;
  }

  controls(): Map<string, SfuControl> {
    return new Map([...this.#members].map(([id, m]) => [id, m.control]));
  }

  reserve(nodeId: string, consumers: number): void {
    const member = this.#members.get(nodeId);
    if (member) member.report = { ...member.report, consumers: member.report.consumers + consumers };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const m of this.#members.values()) m.control.close();
    this.#members.clear();
    await this.#sub.unsubscribe(this.#channel).catch(() => undefined);
  }

  #accept(json: string): void {
    const report = this.#untrusted.parseJson('load-report', NodeReport, json);
    if (report) void this.#upsert(report);
  }

  async #upsert(report: NodeReport): Promise<void> {
    const existing = this.#members.get(report.nodeId);
    if (existing && existing.control.url === report.controlUrl.replace(/^http/, 'ws')) {
      existing.report = report;
      return;
    }
    if (existing) this.#drop(report.nodeId, 'control url changed');
    const control = new RemoteSfu({ nodeId: report.nodeId, url: report.controlUrl, auth: this.#auth, caller: 'signaling', log: this.#log, untrusted: this.#untrusted });
    const member = { report, control };
    this.#members.set(report.nodeId, member);
    control.once('nodedown', () => {
      if (this.#members.get(report.nodeId) === member) this.#drop(report.nodeId, 'control channel closed');
    });
    try {
      await control.connect();
      this.#log.info({ nodeId: report.nodeId, url: report.controlUrl }, 'sfu node up');
      this.emit('nodeup', { nodeId: report.nodeId });
    } catch (err) {
      this.#log.warn({ nodeId: report.nodeId, err }, 'sfu node unreachable');
      if (this.#members.get(report.nodeId) === member) this.#members.delete(report.nodeId);
      control.close();
    }
  }

  #expire(): void {
    const now = Date.now();
    for (const [id, m] of this.#members) if (now - m.report.at > this.#staleMs) this.#drop(id, 'reports stopped');
  }

  #drop(nodeId: string, reason: 'control url changed' | 'control channel closed' | 'reports stopped'): void {
    const member = this.#members.get(nodeId);
    if (!member) return;
    this.#members.delete(nodeId);
    member.control.close();
    this.#log.warn({ nodeId, reason }, 'sfu node down');
    this.emit('nodedown', { nodeId });
  }
}
