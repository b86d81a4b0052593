import { connectApi, estimateWithdrawalFee, loadSigner, maxTransfersPerExtrinsic, readChainProperties, SettlementClient, type ApiPromise, type KeyringPair, type SignerConfig } from '@vilokanam/chain';
import type { Logger } from 'pino';
import { chainMerkleRoot } from './chainRoot.ts';
import { saveChainProperties } from './chainProperties.ts';
import type { Database } from './db/Database.ts';
import { DepositCrediter } from './DepositCrediter.ts';
import { Ledger } from './Ledger.ts';
import { PayoutBook } from './PayoutBook.ts';
import { PayoutScheduler, type PayoutSchedulerOptions } from './PayoutScheduler.ts';
import { Reconciler, type ReconcileReport } from './Reconciler.ts';
import { SettlementMetrics } from './SettlementMetrics.ts';
import { SettlementWorker, type SettlementWorkerOptions } from './SettlementWorker.ts';
import { SubmitterLock } from './SubmitterLock.ts';
import type { TickSource } from './TickSource.ts';

export interface SettlementChainOptions {
  wsUrl: string;
  /** The escrow account's key: config from VILO_CHAIN_SIGNER_URI/_FILE (never logged), or a pair. */
  signer: SignerConfig | KeyringPair;
  /** Accept //Alice-style URIs (dev chains only). */
  allowDevSigner?: boolean;
  payoutIntervalMs: number;
  /** Raised to the chain's existential deposit if lower or unset. */
  minPayout?: bigint | undefined;
  /** Lowered to what fits one extrinsic on this runtime. */
  maxCreators?: number;
  eraPeriod?: number;
  depositStartBlock?: number | undefined;
  /** 0 or unset: the reconciler runs only through reconcile(). */
  reconcileIntervalMs?: number;
  pollMs?: number;
  /** How often requested withdrawals are sent between payout slots; default 5 s. */
  withdrawalPollMs?: number;
  /** Test hooks of the payout scheduler (crash points). */
  hooks?: Pick<PayoutSchedulerOptions, 'onSigned' | 'beforeRecord'>;
}

export interface SettlementServiceOptions {
  db: Database;
  /** Redis (RedisTickSource) or in process (MemoryTickStore). */
  ticks: TickSource;
  log: Logger;
  metrics?: SettlementMetrics;
  /** The Postgres URL `db` was opened with: the submitter lock holds its own connection. Unused on PGlite. */
  databaseUrl?: string | undefined;
  worker?: Omit<SettlementWorkerOptions, 'source' | 'redis' | 'ledger' | 'log' | 'metrics'>;
  /** Without it only the worker runs: ticks are settled, nothing is credited or paid out. */
  chain?: SettlementChainOptions | undefined;
}

interface ChainParts {
  api: ApiPromise;
  client: SettlementClient;
  crediter: DepositCrediter;
  reconciler: Reconciler;
  scheduler: PayoutScheduler;
  lock: SubmitterLock;
}

/**
 * The settlement service: the worker folding ticks into the ledger and, given a chain, the
 * deposit crediter, the payout scheduler (the only submitter, under a Postgres advisory lock)
 * and the reconciler. main.ts runs it on its own; another service can embed it with a
 * MemoryTickStore (embedded mode, no Redis).
 */
export class SettlementService {
  readonly ledger: Ledger;
  readonly book: PayoutBook;
  readonly worker: SettlementWorker;
  readonly metrics: SettlementMetrics;
  readonly #o: SettlementServiceOptions;
  readonly #log: Logger;
  #chain: ChainParts | undefined;
  #started = false;

  constructor(opts: SettlementServiceOptions) {
    this.#o = opts;
    this.#log = opts.log;
    this.metrics = opts.metrics ?? new SettlementMetrics();
    this.ledger = new Ledger(opts.db);
    this.book = new PayoutBook(opts.db, { computeRoot: chainMerkleRoot });
    this.worker = new SettlementWorker({ ...opts.worker, source: opts.ticks, ledger: this.ledger, log: opts.log, metrics: this.metrics });
  }

  get scheduler(): PayoutScheduler | undefined {
    return this.#chain?.scheduler;
  }

  get crediter(): DepositCrediter | undefined {
    return this.#chain?.crediter;
  }

  get reconciler(): Reconciler | undefined {
    return this.#chain?.reconciler;
  }

  get client(): SettlementClient | undefined {
    return this.#chain?.client;
  }

  /** The chain connection every job shares; undefined without a chain or before start(). */
  get api(): ApiPromise | undefined {
    return this.#chain?.api;
  }

  /** The escrow address (the payout signer's); undefined without a chain or before start(). */
  get escrowAddress(): string | undefined {
    return this.#chain?.client.address;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.worker.start();
    if (this.#o.chain) this.#chain = await this.#startChain(this.#o.chain);
  }

  /** Sends requested withdrawals now rather than at the next poll (a no-op without a chain). */
  async sendWithdrawals(): Promise<void> {
    await this.#chain?.scheduler.sendWithdrawals();
  }

  /** Runs the reconciler now. */
  async reconcile(): Promise<ReconcileReport> {
    if (!this.#chain) throw new Error('reconcile: no chain configured or not started');
    return this.#chain.reconciler.run();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.worker.stop();
    const c = this.#chain;
    this.#chain = undefined;
    if (!c) return;
    await c.scheduler.stop();
    await c.reconciler.stop();
    await c.crediter.stop();
    await c.lock.release();
    // A payout still waiting for finality is abandoned here; the next start resolves it on chain.
    await c.api.disconnect().catch(() => {});
    await Promise.race([c.client.close().catch(() => {}), new Promise((r) => setTimeout(r, 5_000).unref())]);
  }

  async #startChain(o: SettlementChainOptions): Promise<ChainParts> {
    const { db, log, metrics } = { ...this.#o, metrics: this.metrics };
    const api = await connectApi(o.wsUrl);
    let crediter: DepositCrediter | undefined;
    let reconciler: Reconciler | undefined;
    try {
      const signer = isPair(o.signer)
        ? o.signer
        : await loadSigner(o.signer, { allowDevUri: o.allowDevSigner ?? o.signer.allowDevUri, ss58Format: api.registry.chainSS58 ?? 42 });
      const escrow = signer.address;
      const properties = { ...readChainProperties(api), withdrawalFee: await estimateWithdrawalFee(api, escrow) };
      await saveChainProperties(db, properties);
      log.info({ chain: properties.specName, token: properties.tokenSymbol, decimals: properties.tokenDecimals, withdrawalFee: properties.withdrawalFee.toString() }, 'chain properties recorded');
      log.info({ escrow, signer: isPair(o.signer) ? 'pair' : o.signer.source }, 'escrow signer loaded');
      // First, so a Postgres database without its URL fails before anything runs.
      const lock = new SubmitterLock({ db, databaseUrl: this.#o.databaseUrl, log });
      const poll = o.pollMs === undefined ? {} : { pollMs: o.pollMs };
      const client = new SettlementClient({ api, signer, log, ...poll, ...(o.eraPeriod === undefined ? {} : { eraPeriod: o.eraPeriod }) });
      crediter = new DepositCrediter({ db, ledger: this.ledger, api, escrow, log, metrics, ...poll, ...(o.depositStartBlock === undefined ? {} : { startBlock: o.depositStartBlock }) });
      await crediter.init();
      reconciler = new Reconciler({ db, api, escrow, log, metrics, ...(o.reconcileIntervalMs ? { intervalMs: o.reconcileIntervalMs } : {}) });
      // After the crediter has its cursor, so the opening balance is taken where crediting starts.
      await reconciler.init();
      await crediter.start();
      reconciler.start();

      // A transfer below the existential deposit to a new account fails the whole batchAll.
      const ed = BigInt((api.consts.balances!.existentialDeposit as unknown as { toString(): string }).toString());
      const minAmount = o.minPayout !== undefined && o.minPayout > ed ? o.minPayout : ed;
      const fits = await maxTransfersPerExtrinsic(api).catch(() => o.maxCreators ?? 1000);
      const maxCreators = Math.max(1, Math.min(o.maxCreators ?? 1000, fits));
      const scheduler = new PayoutScheduler({
        db,
        book: this.book,
        client,
        lock,
        log,
        metrics,
        intervalMs: o.payoutIntervalMs,
        minAmount,
        maxCreators,
        ...(o.withdrawalPollMs === undefined ? {} : { withdrawalPollMs: o.withdrawalPollMs }),
        ...o.hooks,
      });
      scheduler.start();
      log.info({ escrow, payoutIntervalMs: o.payoutIntervalMs, minAmount: minAmount.toString(), maxCreators }, 'settlement chain jobs started');
      return { api, client, crediter, reconciler, scheduler, lock };
    } catch (err) {
      await reconciler?.stop().catch(() => {});
      await crediter?.stop().catch(() => {});
      await api.disconnect().catch(() => {});
      throw err;
    }
  }
}

function isPair(s: SignerConfig | KeyringPair): s is KeyringPair {
  return 'publicKey' in s && typeof (s as KeyringPair).sign === 'function';
}
