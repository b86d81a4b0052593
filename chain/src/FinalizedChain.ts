import type { ApiPromise } from '@polkadot/api';
import type { GenericExtrinsic } from '@polkadot/types';
import type { EventRecord } from '@polkadot/types/interfaces';

export interface BlockRef {
  number: number;
  hash: `0x${string}`;
}

export interface ChainBlock extends BlockRef {
  extrinsics: GenericExtrinsic[];
  /** System events of the block, read at that block's state (fetched once, on demand). */
  events(): Promise<EventRecord[]>;
}

export interface FinalizedChainOptions {
  /** Fallback poll when a finality notification is missed, e.g. across a reconnect. */
  pollMs?: number;
  /** Blocks fetched ahead while scanning a range. */
  prefetch?: number;
}

/**
 * Read-only view of the finalized part of a chain. Everything that moves money reads
 * blocks through here, so nothing acts on a block that could still be reorganised away.
 *
 * On a real chain the finalized head lags the best head by a few blocks (GRANDPA on the relay
 * chain). Under chopsticks every new block is final at once: chain_getFinalizedHead returns the
 * best head and chain_subscribeFinalizedHeads fires with each new block. The same code serves
 * both because it only ever asks for the finalized head.
 *
 * Events are read from state at each block, so scanning far back needs an archive node
 * (ordinary nodes keep 256 blocks of state).
 */
export class FinalizedChain {
  readonly #api: ApiPromise;
  readonly #pollMs: number;
  readonly #prefetch: number;
  readonly #waiters = new Set<() => void>();
  #unsubscribe: Promise<() => void> | undefined;

  constructor(api: ApiPromise, opts: FinalizedChainOptions = {}) {
    this.#api = api;
    this.#pollMs = opts.pollMs ?? 6_000;
    this.#prefetch = Math.max(1, opts.prefetch ?? 4);
  }

  async head(): Promise<BlockRef> {
    const hash = await this.#api.rpc.chain.getFinalizedHead();
    const header = await this.#api.rpc.chain.getHeader(hash);
    return { number: header.number.toNumber(), hash: hash.toHex() };
  }

  /** The finalized block at `number`; throws if it is not finalized yet. */
  async block(number: number): Promise<ChainBlock> {
    const block = await this.blockAt((await this.#api.rpc.chain.getBlockHash(number)).toHex());
    if (block.number !== number) throw new Error(`block ${number}: node returned #${block.number}`);
    return block;
  }

  /** Any block by hash, final or not: callers that care check finality themselves. */
  async blockAt(hash: `0x${string}`): Promise<ChainBlock> {
    const signed = await this.#api.rpc.chain.getBlock(hash);
    // An unknown hash decodes as an empty block rather than an error.
    if (signed.block.header.hash.toHex() !== hash) throw new Error(`block ${hash} not found`);
    let events: Promise<EventRecord[]> | undefined;
    const api = this.#api;
    return {
      number: signed.block.header.number.toNumber(),
      hash,
      extrinsics: [...signed.block.extrinsics],
      events() {
        events ??= api.at(hash).then(async (at) => [...((await at.query.system!.events!()) as unknown as EventRecord[])]);
        return events;
      },
    };
  }

  /** Finalized blocks from..to inclusive, in order, fetching a few ahead. */
  async *blocks(from: number, to: number): AsyncGenerator<ChainBlock> {
    const ahead: Promise<ChainBlock>[] = [];
    let next = from;
    const fill = (): void => {
      while (ahead.length < this.#prefetch && next <= to) {
        const p = this.block(next++);
        p.catch(() => {}); // surfaced when awaited below
        ahead.push(p);
      }
    };
    fill();
    while (ahead.length > 0) {
      const block = await ahead.shift()!;
      fill();
      yield block;
    }
  }

  /** Resolves with the finalized head once its number is at least `min`. */
  async waitForHead(min: number, signal?: AbortSignal): Promise<BlockRef> {
    this.#subscribe();
    for (;;) {
      signal?.throwIfAborted();
      // Listen before reading the head, so a block finalized in between still wakes us.
      let done = (): void => {};
      const woken = new Promise<void>((resolve) => {
        done = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, this.#pollMs);
        this.#waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
      try {
        const head = await this.head();
        if (head.number >= min) return head;
        await woken;
      } finally {
        done();
      }
    }
  }

  async close(): Promise<void> {
    const unsub = this.#unsubscribe;
    this.#unsubscribe = undefined;
    for (const wake of [...this.#waiters]) wake();
    if (unsub) (await unsub.catch(() => () => {}))();
  }

  #subscribe(): void {
    this.#unsubscribe ??= this.#api.rpc.chain.subscribeFinalizedHeads(() => {
      for (const wake of [...this.#waiters]) wake();
    });
    this.#unsubscribe.catch(() => {
      // polling still works; try to subscribe again next time
      this.#unsubscribe = undefined;
    });
  }
}
