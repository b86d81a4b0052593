import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

/** What a transaction body may run: $n parameters, rows as objects. */
export interface Queryable {
  query<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a multi-statement script without parameters. */
  exec(sql: string): Promise<void>;
}

/**
 * The query surface both Postgres and PGlite provide. Unlike signaling's, it has interactive
 * transactions: the ledger locks rows, reads balances and writes in one transaction.
 */
export interface Database extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; retried on deadlock, so `fn` must only touch the database. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Postgres connection string; absent means embedded PGlite. */
  databaseUrl: string | undefined;
  /** PGlite data directory, or `memory://`. */
  dataDir: string;
  poolSize?: number;
}

export interface MigrateOptions {
  /** Directory of `NNN_name.sql` files, applied in name order. */
  dir: string;
  /** Prepended to each file's name to form its recorded version. */
  prefix: string;
}

/**
 * Settlement's own migrations. Its versions carry a prefix, so settlement and signaling can
 * share one database and one schema_migrations table; signaling's versions predate the shared
 * layer and stay unprefixed, so databases created before it keep working.
 */
export const SETTLEMENT_MIGRATIONS: MigrateOptions = {
  dir: fileURLToPath(new URL('../../migrations/', import.meta.url)),
  prefix: 'settlement/',
};
const DEADLOCK = '40P01';
const MIGRATION_LOCK = 0x76696c6f; // 'vilo'
const TX_ATTEMPTS = 3;

export async function openDatabase(opts: DatabaseOptions, log: Logger): Promise<Database> {
  const db = opts.databaseUrl ? await openPostgres(opts.databaseUrl, opts.poolSize ?? 10) : await openPglite(opts.dataDir);
  log.info({ engine: db.engine }, 'database open');
  await migrate(db, log);
  return db;
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle pooled client that loses its server must not crash the process.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  const once = async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    const tx: Queryable = {
      async query<R extends object>(sql: string, params: unknown[] = []) {
        return (await client.query(sql, params)).rows as R[];
      },
      async exec(sql: string) {
        await client.query(sql);
      },
    };
    try {
      await client.query('BEGIN');
      const out = await fn(tx);
      await client.query('COMMIT');
      client.release();
      return out;
    } catch (err) {
      // A client whose ROLLBACK fails is in an unknown state: destroy it rather than reuse it.
      await client.query('ROLLBACK').then(
        () => client.release(),
        (e: Error) => client.release(e),
      );
      throw err;
    }
  };
  return {
    engine: 'postgres',
    async query<T extends object>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(fn);
        } catch (err) {
          if ((err as { code?: string }).code !== DEADLOCK || attempt >= TX_ATTEMPTS) throw err;
        }
      }
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  // Postgres ships pg_trgm as contrib; PGlite must load it before CREATE EXTENSION can (search).
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  // PGlite creates only the last directory level; a fresh checkout has none of the path.
  if (!dataDir.includes('://')) await mkdir(path.resolve(dataDir), { recursive: true });
  const db = await PGlite.create(dataDir, { extensions: { pg_trgm } });
  return {
    engine: 'pglite',
    async query<T extends object>(sql: string, params: unknown[] = []) {
      return (await db.query<T>(sql, params)).rows;
    },
    // PGlite has one connection and serializes transactions, so there are no deadlocks to retry.
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction(async (t) =>
        fn({
          async query<R extends object>(sql: string, params: unknown[] = []) {
            return (await t.query<R>(sql, params)).rows;
          },
          async exec(sql: string) {
            await t.exec(sql);
          },
        }),
      );
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
    close: () => db.close(),
  };
}

/**
 * Applies the versioned SQL files of `opts.dir` (settlement's by default) in order, each once,
 * recorded in the `schema_migrations` table every service shares; the same files serve both
 * engines. All pending files run in one transaction under an advisory lock, so two processes
 * starting at once cannot both apply one, and a failing file leaves none of them applied.
 */
export async function migrate(db: Database, log: Logger, opts: MigrateOptions = SETTLEMENT_MIGRATIONS): Promise<string[]> {
  const files = (await readdir(opts.dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const ran = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const rows = await tx.query<{ version: string }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const out: string[] = [];
    for (const file of files) {
      const version = opts.prefix + path.basename(file, '.sql');
      if (applied.has(version)) continue;
      await tx.exec(await readFile(path.join(opts.dir, file), 'utf8'));
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
      out.push(version);
    }
    return out;
  });
  for (const version of ran) log.info({ version }, 'migration applied');
  return ran;
}
