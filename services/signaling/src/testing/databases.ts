// Opens each real database engine the platform supports, on a fresh throwaway database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { openDatabase, type Database } from '../db/Database.ts';

export const TEST_DATABASE_URL = process.env.VILO_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const quiet = pino({ level: 'silent' });

export interface Engine {
  name: 'pglite' | 'postgres';
  open(): Promise<{ db: Database; drop(): Promise<void> }>;
}

export const engines: Engine[] = [
  {
    name: 'pglite',
    async open() {
      const db = await openDatabase({ databaseUrl: undefined, dataDir: 'memory://' }, quiet);
      return { db, drop: () => db.close() };
    },
  },
  {
    name: 'postgres',
    async open() {
      const name = `vilo_test_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect().catch((err: Error) => {
        throw new Error(`Postgres is required at ${TEST_DATABASE_URL} (scripts/services.sh starts it): ${err.message}`);
      });
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = `/${name}`;
      const db = await openDatabase({ databaseUrl: url.toString(), dataDir: '' }, quiet);
      return {
        db,
        async drop() {
          await db.close();
          const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${name}`);
          await c.end();
        },
      };
    },
  },
];
