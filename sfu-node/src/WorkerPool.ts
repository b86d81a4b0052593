import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import type { SfuNodeConfig } from './config.ts';
import { backoffDelay } from '@vilokanam/contracts/backoff';

export interface WorkerSlot {
  index: number;
  worker: types.Worker;
  /** Routers placed on this worker; the pool balances on this count. */
  routers: number;
}

export interface WorkerPoolEvents {
  /** A worker died; every router on it is gone. `replaced` is false if respawn failed. */
  workerdied: [{ index: number; pid: number; error: Error; replaced: boolean }];
}

/** Respawns tried after a worker dies: the first at once, then backing off from 250 ms. */
const RESPAWN_ATTEMPTS = 4;
const RESPAWN_BACKOFF = { initialMs: 250, maxMs: 5000 };

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #config: SfuNodeConfig;
  readonly #log: Logger;
  readonly #slots: (WorkerSlot | undefined)[] = [];
  #closed = false;
  #deaths = 0;

  constructor(config: SfuNodeConfig, log: Logger) {
    super();
    this.#config = config;
    this.#log = log;
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.#config.numWorkers; i++) {
      this.#slots[i] = await this.#spawn(i);
    }
    this.#log.info({ workers: this.#config.numWorkers }, 'worker pool started');
  }

  get slots(): readonly WorkerSlot[] {
    return this.#slots.filter((s): s is WorkerSlot => s !== undefined);
  }

  get deaths(): number {
    return this.#deaths;
  }

  /** The live worker with the fewest routers. */
  leastLoaded(): WorkerSlot {
    let best: WorkerSlot | undefined;
    for (const slot of this.slots) {
      if (!best || slot.routers < best.routers) best = slot;
    }
    if (!best) throw new Error('no live mediasoup worker');
    return best;
  }

  close(): void {
    this.#closed = true;
    for (const slot of this.slots) slot.worker.close();
    this.#slots.length = 0;
  }

  async #spawn(index: number): Promise<WorkerSlot> {
    const worker = await mediasoup.createWorker({
      workerBin: this.#config.workerBin,
      logLevel: this.#config.logLevel,
      appData: { index },
    });
    const slot: WorkerSlot = { index, worker, routers: 0 };
    worker.on('died', (error) => void this.#onDied(slot, error));
    return slot;
  }

  async #onDied(slot: WorkerSlot, error: Error): Promise<void> {
    this.#deaths++;
    this.#slots[slot.index] = undefined;
    const pid = slot.worker.pid;
    this.#log.error({ worker: slot.index, pid, err: error }, 'mediasoup worker died');
    let replaced = false;
    for (let attempt = 0; attempt < RESPAWN_ATTEMPTS; attempt++) {
      if (this.#closed) break;
      const delay = attempt === 0 ? 0 : backoffDelay(attempt - 1, RESPAWN_BACKOFF);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      try {
        this.#slots[slot.index] = await this.#spawn(slot.index);
        replaced = true;
        this.#log.warn({ worker: slot.index, pid: this.#slots[slot.index]?.worker.pid }, 'mediasoup worker replaced');
        break;
      } catch (err) {
        this.#log.error({ worker: slot.index, err }, 'mediasoup worker respawn failed');
      }
    }
    this.emit('workerdied', { index: slot.index, pid, error, replaced });
  }
}
