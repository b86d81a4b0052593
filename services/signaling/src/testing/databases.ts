// Opens each real database engine the platform supports, on a fresh throwaway database, with
// signaling's migrations on top of settlement's (the shared layer's throwaway Postgres helper).
import pino from 'pino';
import { createPostgresDatabase } from '../../../settlement/src/testing/databases.ts';
import { openDatabase, type Database } from '../db/Database.ts';

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
      const created = await createPostgresDatabase();
      const db = await openDatabase({ databaseUrl: created.url, dataDir: '' }, quiet);
      return {
        db,
        async drop() {
          await db.close();
          await created.drop();
        },
      };
    },
  },
];
