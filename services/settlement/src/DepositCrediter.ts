import { accountHex, DepositWatcher, FinalizedChain, type ApiPromise, type Deposit } from '@vilokanam/chain';
import type { Logger } from 'pino';
import { advanceCursor, depositCursorName, initCursor } from './chainState.ts';
import type { Database } from './db/Database.ts';
import type { Ledger } from './Ledger.ts';
import type { SettlementMetrics } from './SettlementMetrics.ts';

export interface DepositCrediterOptions {
  db: Database;
  ledger: Ledger;
  api: ApiPromise;
  /** Escrow address (SS58 or 0x). */
  escrow: string;
  log: Logger;
  metrics?: SettlementMetrics;
  /** First block to scan when no cursor is stored yet; default the finalized head + 1 (only new deposits). */
  startBlock?: number;
  pollMs?: number;
  retryMs?: number;
}

export type DepositOutcome = 'credited' | 'duplicate' | 'unassigned';

/**
 * Credits finalized deposits into the escrow to the ledger, exactly once. The watcher reads
 * finalized blocks only (an unfinalized block that is reorganised away is never seen), from a
 * cursor kept in chain_cursors. Each deposit is credited in one transaction keyed by its chain
 * id (`<blockHash>:<index>`), so one delivered twice (a restart from an older cursor) changes
 * nothing; the cursor is written only after every deposit before it is credited, and only
 * ever moves forward. A transfer without a usable memo goes to unassigned_deposits, so it is
 * accounted for on chain and left for ops to assign.
 */
export class DepositCrediter {
  readonly #db: Database;
  readonly #ledger: Ledger;
  readonly #api: ApiPromise;
  readonly #escrow: string;
  readonly #log: Logger;
  readonly #metrics: SettlementMetrics | undefined;
  readonly #opts: DepositCrediterOptions;
  readonly #cursorName: string;
  #watcher: DepositWatcher | undefined;
  /** Cursor writes in order, one at a time; only the latest value matters. */
  #saving: Promise<void> = Promise.resolve();
  #toSave: number | undefined;

  constructor(opts: DepositCrediterOptions) {
    this.#db = opts.db;
    this.#ledger = opts.ledger;
    this.#api = opts.api;
    this.#escrow = opts.escrow;
    this.#log = opts.log.child({ component: 'deposit-crediter' });
    this.#metrics = opts.metrics;
    this.#opts = opts;
    this.#cursorName = depositCursorName(accountHex(opts.escrow));
  }

  get cursorName(): string {
    return this.#cursorName;
  }

  /** Loads the stored cursor, storing the start block first if there is none; returns it. */
  async init(): Promise<number> {
    const start = this.#opts.startBlock ?? (await new FinalizedChain(this.#api).head()).number + 1;
    const cursor = await initCursor(this.#db, this.#cursorName, start);
    this.#metrics?.depositCursor.set(cursor);
    return cursor;
  }

  /** Credits everything finalized up to now; resolves with the next block to scan. */
  async catchUp(): Promise<number> {
    const watcher = await this.#ensureWatcher();
    const next = await watcher.catchUp();
    await this.#flush();
    return next;
  }

  /** Follows finality until stop(). */
  async start(): Promise<void> {
    (await this.#ensureWatcher()).start();
  }

  async stop(): Promise<void> {
    await this.#watcher?.stop();
    this.#watcher = undefined;
    await this.#flush();
  }

  /** Credits one deposit; idempotent on its chain id. */
  async credit(d: Deposit): Promise<DepositOutcome> {
    let outcome: DepositOutcome;
    if (d.memoAccount === null) {
      const rows = await this.#db.query(
        `INSERT INTO unassigned_deposits (chain_id, sender, amount, memo, block_number) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (chain_id) DO NOTHING RETURNING 1`,
        [d.id, d.from, d.amount.toString(), d.memo, d.blockNumber],
      );
      outcome = rows.length ? 'unassigned' : 'duplicate';
      if (rows.length) this.#log.warn({ id: d.id, from: d.from, amount: d.amount.toString(), memo: d.memo }, 'deposit without a usable memo; left for ops to assign');
    } else {
      const r = await this.#ledger.creditDeposit({ chainId: d.id, account: d.memoAccount, amount: d.amount, blockNumber: d.blockNumber });
      outcome = r.status;
    }
    this.#metrics?.deposits.inc({ outcome });
    return outcome;
  }

  async #ensureWatcher(): Promise<DepositWatcher> {
    if (this.#watcher) return this.#watcher;
    const cursor = await this.init();
    const watcher = new DepositWatcher({
      api: this.#api,
      escrow: this.#escrow,
      cursor,
      log: this.#log,
      onDeposit: async (d) => void (await this.credit(d)),
      ...(this.#opts.pollMs === undefined ? {} : { pollMs: this.#opts.pollMs }),
      ...(this.#opts.retryMs === undefined ? {} : { retryMs: this.#opts.retryMs }),
    });
    // Emitted only once every deposit before `next` has been credited.
    watcher.on('cursor', (next) => this.#save(next));
    watcher.on('error', () => {}); // logged by the watcher, which retries
    this.#watcher = watcher;
    return watcher;
  }

  #save(next: number): void {
    const idle = this.#toSave === undefined;
    this.#toSave = next;
    if (!idle) return;
    this.#saving = this.#saving.then(async () => {
      const value = this.#toSave!;
      this.#toSave = undefined;
      try {
        await advanceCursor(this.#db, this.#cursorName, value);
        this.#metrics?.depositCursor.set(value);
      } catch (err) {
        // Harmless: the next save writes a later value, and a restart from an older one only re-credits duplicates.
        this.#log.warn({ err }, 'deposit cursor not saved');
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#toSave !== undefined) await this.#saving;
    await this.#saving;
  }
}
