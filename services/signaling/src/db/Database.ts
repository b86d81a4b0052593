// Signaling and settlement share one database (one Postgres, or one PGlite in embedded mode),
// so they share one database layer: settlement's, which also has interactive transactions.
// Signaling adds only its own migrations on top.
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import {
  migrate as applyMigrations,
  openDatabase as openSharedDatabase,
  SETTLEMENT_MIGRATIONS,
  type Database,
  type DatabaseOptions,
  type MigrateOptions,
} from '@vilokanam/settlement/db';
import { SOCIAL_MIGRATIONS } from '@vilokanam/social';

export type { Database, DatabaseOptions, Queryable } from '@vilokanam/settlement/db';

/**
 * Signaling's versions are recorded without a prefix, as they were before the layers merged,
 * so a database created by an older signaling is recognised as migrated.
 */
export const SIGNALING_MIGRATIONS: MigrateOptions = {
  dir: fileURLToPath(new URL('../../migrations/', import.meta.url)),
  prefix: '',
};

/**
 * Opens the shared database and brings it up to date: settlement's migrations first (its
 * ledger tables), then signaling's, which may refer to them, then social's, which refer to both.
 */
export async function openDatabase(opts: DatabaseOptions, log: Logger): Promise<Database> {
  const db = await openSharedDatabase(opts, log);
  try {
    await applyMigrations(db, log, SIGNALING_MIGRATIONS);
    await applyMigrations(db, log, SOCIAL_MIGRATIONS);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

/** Applies any pending migration of both services, in the order openDatabase does; returns their versions. */
export async function migrate(db: Database, log: Logger): Promise<string[]> {
  return [
    ...(await applyMigrations(db, log, SETTLEMENT_MIGRATIONS)),
    ...(await applyMigrations(db, log, SIGNALING_MIGRATIONS)),
    ...(await applyMigrations(db, log, SOCIAL_MIGRATIONS)),
  ];
}
