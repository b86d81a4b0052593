import type { Logger } from 'pino';
import { buildDepositExtrinsic, devSigner, DevChain, type KeyringPair } from '@vilokanam/chain';
import { MemoryTickStore, SettlementService, workerSettings, type SettlementChainOptions, type SettlementConfig } from '@vilokanam/settlement';
import type { Database } from '../db/Database.ts';

/** The dev chain's escrow and faucet: well-known dev keys, never used off a dev chain. */
export const DEV_ESCROW_URI = '//VilokanamEscrow';
export const DEV_FAUCET_URI = '//Bob';

export interface EmbeddedSettlementOptions {
  db: Database;
  ticks: MemoryTickStore;
  log: Logger;
  config: SettlementConfig;
  /** Run a chopsticks dev chain in a child process and settle against it. */
  devChain: boolean;
}

/**
 * Settlement inside the one-machine platform: the worker folds the in-process tick windows
 * into the shared ledger and, given a chain (the configured one, or a dev chain started
 * here), deposits are credited and creators paid out as in a cluster.
 */
export class EmbeddedSettlement {
  readonly service: SettlementService;
  readonly #chain: DevChain | undefined;
  readonly #log: Logger;
  #faucet: KeyringPair | undefined;

  private constructor(service: SettlementService, chain: DevChain | undefined, log: Logger) {
    this.service = service;
    this.#chain = chain;
    this.#log = log;
  }

  static async start(o: EmbeddedSettlementOptions): Promise<EmbeddedSettlement> {
    const log = o.log.child({ component: 'settlement' });
    const { config } = o;
    let chain: DevChain | undefined;
    let chainOptions: SettlementChainOptions | undefined = config.chain;
    if (o.devChain && !chainOptions) {
      const escrow = await devSigner(DEV_ESCROW_URI);
      log.info('starting the dev chain (chopsticks, Asset Hub runtime)');
      chain = await DevChain.start({ log: log.child({ component: 'devchain' }), fund: [escrow.address] });
      chainOptions = {
        wsUrl: chain.wsUrl,
        signer: escrow,
        payoutIntervalMs: config.payoutIntervalMs,
        minPayout: undefined,
        maxCreators: 1000,
        eraPeriod: 64,
        depositStartBlock: undefined,
        reconcileIntervalMs: 60_000,
        pollMs: 1000,
        withdrawalPollMs: 1000,
      };
    }
    const service = new SettlementService({
      db: o.db,
      databaseUrl: config.databaseUrl,
      ticks: o.ticks,
      log,
      worker: workerSettings(config),
      chain: chainOptions && { ...chainOptions, allowDevSigner: chain !== undefined },
    });
    try {
      await service.start();
    } catch (err) {
      await chain?.close();
      throw err;
    }
    const embedded = new EmbeddedSettlement(service, chain, log);
    if (chain) log.info({ wsUrl: chain.wsUrl, escrow: service.escrowAddress }, 'settling on the dev chain');
    return embedded;
  }

  get escrowAddress(): string | undefined {
    return this.service.escrowAddress;
  }

  get devChain(): DevChain | undefined {
    return this.#chain;
  }

  /**
   * Dev chain only: a real deposit (transfer plus memo, from the faucet account) for
   * `account`. It is credited like any other, once its block is finalized.
   */
  async devDeposit(account: string, amount: bigint): Promise<string> {
    const escrow = this.escrowAddress;
    // The settlement jobs' own connection: the faucet needs no second one.
    const api = this.service.api;
    if (!this.#chain || !escrow || !api) throw new Error('deposits from the faucet need the dev chain');
    this.#faucet ??= await devSigner(DEV_FAUCET_URI);
    const hash = await buildDepositExtrinsic(api, escrow, amount, account).signAndSend(this.#faucet);
    this.#log.info({ account, amount: amount.toString(), tx: hash.toHex() }, 'dev deposit sent');
    return hash.toHex();
  }

  async stop(): Promise<void> {
    await this.service.stop();
    await this.#chain?.close();
  }
}
