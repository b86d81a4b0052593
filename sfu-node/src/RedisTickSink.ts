import type { Redis } from 'ioredis';
import { recordTicks } from '@vilokanam/contracts/ticks';
import type { Tick, TickSink } from './Meter.ts';

/** Ticks into settlement's Redis windows, all of a node's viewers in one MULTI per second. */
export class RedisTickSink implements TickSink {
  readonly #redis: Redis;
  readonly #windowSeconds: number | undefined;

  constructor(redis: Redis, windowSeconds?: number) {
    this.#redis = redis;
    this.#windowSeconds = windowSeconds;
  }

  record(ticks: readonly Tick[]): Promise<void> {
    return recordTicks(this.#redis, ticks, this.#windowSeconds);
  }
}
