import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

/** The narrow query surface both Postgres and PGlite provide, with $n parameters. */
export interface Database {
  query<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a multi-statement script in one transaction. */
  execScript(sql: string): Promise<void>;
  close(): Promise<void>;
}

const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

export async function openDatabase(
  opts: { databaseUrl: string | undefined; dataDir: string },
  log: Logger,
): Promise<Database> {
  const db = opts.databaseUrl ? await openPostgres(opts.databaseUrl) : await openPglite(opts.dataDir);
  log.info({ engine: opts.databaseUrl ? 'postgres' : 'pglite' }, 'database open');
  await migrate(db, log);
  return db;
}

async function openPostgres(url: string): Promise<Database> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query('SELECT 1');
  return {
    async query<T extends object>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async execScript(sql: string) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  // PGlite creates only the last directory level; a fresh checkout has none of the path.
  if (!dataDir.includes('://')) await mkdir(path.resolve(dataDir), { recursive: true });
  const db = await PGlite.create(dataDir);
  return {
    async query<T extends object>(sql: string, params: unknown[] = []) {
      return (await db.query<T>(sql, params)).rows;
    },
    async execScript(sql: string) {
      await db.transaction(async (tx) => {
        await tx.exec(sql);
      });
    },
    close: () => db.close(),
  };
}

/** Applies versioned SQL files in order, each once; the same files serve both engines. */
export async function migrate(db: Database, log: Logger): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied = new Set((await db.query<{ version: string }>('SELECT version FROM schema_migrations')).map((r) => r.version));
  const files = (await readdir(migrationsDir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const ran: string[] = [];
  for (const file of files) {
    const version = path.basename(file, '.sql');
    if (applied.has(version)) continue;
    const sql = await readFile(path.join(migrationsDir, file), 'utf8');
    const escaped = version.replaceAll("'", "''");
    await db.execScript(`${sql}\nINSERT INTO schema_migrations (version) VALUES ('${escaped}');`);
    log.info({ version }, 'migration applied');
    ran.push(version);
  }
  return ran;
}
