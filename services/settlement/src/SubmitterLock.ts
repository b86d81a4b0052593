import pg from 'pg';
import type { Logger } from 'pino';
import type { Database, Queryable } from './db/Database.ts';

/** pg_advisory_lock key of the payout submitter: 'vpay'. */
export const SUBMITTER_LOCK_KEY = 0x76706179;

/**
 * Makes one process the payout submitter, so one nonce owner signs for the escrow.
 *
 * On Postgres it is a session-level advisory lock on a connection of its own: held exactly as
 * long as that connection lives, released by the server when the process dies however it
 * dies. `fenced` runs a statement on that same connection, so a write made through it
 * succeeds only while the lock is still held: the scheduler records each payout attempt that
 * way before signing, and a process that lost the lock cannot record (and so cannot send).
 * On PGlite there is one process by construction, so the lock is held trivially.
 */
export class SubmitterLock {
  readonly #db: Database;
  readonly #url: string | undefined;
  readonly #key: number;
  readonly #log: Logger;
  #client: pg.Client | undefined;
  #held = false;

  constructor(opts: { db: Database; databaseUrl?: string | undefined; log: Logger; key?: number }) {
    if (opts.db.engine === 'postgres' && !opts.databaseUrl) throw new Error('SubmitterLock: Postgres needs databaseUrl for its own connection');
    this.#db = opts.db;
    this.#url = opts.db.engine === 'postgres' ? opts.databaseUrl : undefined;
    this.#key = opts.key ?? SUBMITTER_LOCK_KEY;
    this.#log = opts.log.child({ component: 'submitter-lock' });
  }

  get held(): boolean {
    return this.#held;
  }

  /** Takes the lock if free; true while this process holds it. Never waits. */
  async acquire(): Promise<boolean> {
    if (this.#held) return true;
    if (!this.#url) return (this.#held = true);
    if (!this.#client) {
      const client = new pg.Client({ connectionString: this.#url });
      const lost = (err?: Error): void => {
        if (this.#client !== client) return;
        this.#client = undefined;
        if (this.#held) this.#log.error({ err }, 'submitter lock connection lost; no longer the submitter');
        this.#held = false;
      };
      client.on('error', lost);
      client.on('end', () => lost());
      await client.connect();
      this.#client = client;
    }
    const [row] = (await this.#client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [this.#key])).rows;
    this.#held = row?.ok === true;
    if (this.#held) this.#log.info('holding the payout submitter lock');
    return this.#held;
  }

  /** A statement on the lock's connection: it fails rather than run once the lock is lost. */
  async fenced<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (!this.#held) throw new Error('not the payout submitter');
    const q: Queryable = this.#client
      ? { query: async <R extends object>(s: string, p: unknown[] = []) => (await this.#client!.query(s, p)).rows as R[], exec: async () => {} }
      : this.#db;
    return q.query<T>(sql, params);
  }

  async release(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#held = false;
    if (!client) return;
    // Unlocked explicitly, so a standby can take over at once; closing the session would
    // release it too, but only once the server has torn the backend down.
    await client.query('SELECT pg_advisory_unlock($1)', [this.#key]).catch(() => {});
    await client.end().catch(() => {});
  }
}
