import type { Redis } from 'ioredis';
import type { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { BusEnvelope, topicName, type BusTopic, type ChatBus } from './ChatBus.ts';

/**
 * Fan-out through Redis pub/sub: one channel per room, subscribed while this instance has a
 * socket in the room, and one channel for events addressed to accounts. Redis delivers a
 * channel's messages to every subscriber in the order it received them.
 */
export class RedisChatBus implements ChatBus {
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #untrusted: UntrustedInput;
  readonly #prefix: string;
  #handler: (e: BusEnvelope) => void = () => undefined;

  /** `redis` publishes; a duplicate connection subscribes, since a subscribed connection can do nothing else. */
  constructor(redis: Redis, untrusted: UntrustedInput, prefix = 'vilo:social:') {
    this.#prefix = prefix;
    this.#pub = redis;
    this.#sub = redis.duplicate();
    this.#untrusted = untrusted;
    this.#sub.on('messageBuffer', (_channel: Buffer, payload: Buffer) => {
      if (payload.length > 64 * 1024) return this.#untrusted.reject('redis:chat', 'oversized envelope');
      const envelope = this.#untrusted.parseJson('redis:chat', BusEnvelope, payload.toString('utf8'));
      if (envelope) this.#handler(envelope);
    });
  }

  async publish(topic: BusTopic, envelope: BusEnvelope): Promise<void> {
    await this.#pub.publish(topicName(this.#prefix, topic), JSON.stringify(envelope));
  }

  async subscribe(topic: BusTopic): Promise<void> {
    await this.#sub.subscribe(topicName(this.#prefix, topic));
  }

  async unsubscribe(topic: BusTopic): Promise<void> {
    await this.#sub.unsubscribe(topicName(this.#prefix, topic));
  }

  onEnvelope(handler: (envelope: BusEnvelope) => void): void {
    this.#handler = handler;
  }

  async close(): Promise<void> {
    this.#sub.disconnect();
  }
}
