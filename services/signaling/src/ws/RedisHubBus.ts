import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { UntrustedInput } from '@vilokanam/contracts/untrusted';
import type { HubBus } from './HubBus.ts';
import { HubMessage, hubChannel, type HubMessageBody } from './HubMessage.ts';

/** A Redis that is down fails every publish; one line per this interval says so. */
const FAILURE_LOG_MS = 10_000;

/**
 * Fleet and Kubernetes mode: one pub/sub channel per fleet that every signaling replica
 * subscribes to. Anything that reaches Redis can publish there, so each message goes through
 * `untrusted` (counted as source `hub` when it fails the schema) before the hub sees it.
 */
export class RedisHubBus implements HubBus {
  readonly replicaId: string;
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #channel: string;
  readonly #untrusted: UntrustedInput;
  readonly #log: Logger;
  readonly #handlers: ((msg: HubMessage) => void)[] = [];
  #lastFailureLog = 0;
  #closed = false;

  /** `subscriber`: a connection of its own, put in subscriber mode. */
  constructor(opts: { redis: Redis; subscriber: Redis; replicaId: string; fleet: string; untrusted: UntrustedInput; log: Logger }) {
    this.replicaId = opts.replicaId;
    this.#redis = opts.redis;
    this.#sub = opts.subscriber;
    this.#channel = hubChannel(opts.fleet);
    this.#untrusted = opts.untrusted;
    this.#log = opts.log.child({ component: 'hub-bus' });
  }

  onMessage(handler: (msg: HubMessage) => void): void {
    this.#handlers.push(handler);
  }

  publish(msg: HubMessageBody): void {
    if (this.#closed) return;
    this.#redis.publish(this.#channel, JSON.stringify({ ...msg, replica: this.replicaId })).catch((err: unknown) => this.#failed(err));
  }

  async start(): Promise<void> {
    this.#sub.on('message', (channel: string, json: string) => {
      if (channel === this.#channel) this.#deliver(json);
    });
    await this.#sub.subscribe(this.#channel);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#redis.publish(this.#channel, JSON.stringify({ t: 'gone', replica: this.replicaId })).catch((err: unknown) => this.#failed(err));
    this.#closed = true;
    await this.#sub.unsubscribe(this.#channel).catch(() => undefined);
  }

  #deliver(json: string): void {
    if (this.#closed) return;
    const msg = this.#untrusted.parseJson('hub', HubMessage, json);
    // Our own messages come back on the channel; the hub has already acted on them.
    if (!msg || msg.replica === this.replicaId) return;
    for (const handler of this.#handlers) {
      try {
        handler(msg);
      } catch (err) {
        this.#log.error({ err, t: msg.t }, 'hub message handler failed');
      }
    }
  }

  #failed(err: unknown): void {
    const now = Date.now();
    if (now - this.#lastFailureLog < FAILURE_LOG_MS) return;
    this.#lastFailureLog = now;
    this.#log.warn({ err }, 'hub message not published');
  }
}
