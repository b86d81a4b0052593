// Real databases for tests: a throwaway Postgres database per test file (on the server that
// scripts/services.sh keeps running), and "engines", so a store's tests run on both Postgres
// and PGlite with the package's own migrations.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.VILO_TEST_DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

/** Creates an empty Postgres database and returns its URL; `drop` removes it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `vilo_test_${randomBytes(6).toString('hex')}`;
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

export interface OpenedDatabase<D> {
  db: D;
  /** Connection string of the throwaway Postgres database; undefined on PGlite. */
  url: string | undefined;
  drop(): Promise<void>;
}

export interface Engine<D> {
  name: 'pglite' | 'postgres';
  open(): Promise<OpenedDatabase<D>>;
}

/** PGlite in memory and a fresh Postgres database, each opened (and migrated) by `open`. */
export function databaseEngines<D extends { close(): Promise<void> }>(open: (opts: { databaseUrl: string | undefined; dataDir: string }) => Promise<D>): Engine<D>[] {
  return [
    {
      name: 'pglite',
      async open() {
        const db = await open({ databaseUrl: undefined, dataDir: 'memory://' });
        return { db, url: undefined, drop: () => db.close() };
      },
    },
    {
      name: 'postgres',
      async open() {
        const created = await createPostgresDatabase();
        const db = await open({ databaseUrl: created.url, dataDir: '' });
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
}
