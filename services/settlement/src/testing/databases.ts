// Opens each real database engine settlement supports, on a fresh throwaway database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { openDatabase, type Database } from '../db/Database.ts';

export const TEST_DATABASE_URL = process.env.VILO_TEST_DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const quiet = pino({ level: 'silent' });

export interface OpenedDatabase {
  db: Database;
  /** Connection string of the throwaway Postgres database; undefined on PGlite. */
  url: string | undefined;
  drop(): Promise<void>;
}

export interface Engine {
  name: 'pglite' | 'postgres';
  open(): Promise<OpenedDatabase>;
}

/** Creates an empty Postgres database and returns its URL; `drop` removes it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `vilo_settle_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect().catch((err: Error) => {
    throw new Error(`Postgres is required at ${TEST_DATABASE_URL} (scripts/services.sh starts it): ${err.message}`);
  });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export const engines: Engine[] = [
  {
    name: 'pglite',
    async open() {
      const db = await openDatabase({ databaseUrl: undefined, dataDir: 'memory://' }, quiet);
      return { db, url: undefined, drop: () => db.close() };
    },
  },
  {
    name: 'postgres',
    async open() {
      const created = await createPostgresDatabase();
      const db = await openDatabase({ databaseUrl: created.url, dataDir: '' }, quiet);
      return {
        db,
        url: created.url,
        async drop() {
          await db.close();
          await created.drop();
        },
      };
    },
  },
];
