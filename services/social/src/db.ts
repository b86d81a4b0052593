import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { migrate, type Database, type MigrateOptions } from '@vilokanam/settlement/db';

/**
 * Social's migrations run after settlement's and signaling's, on the same database: its
 * tables refer to user_accounts and streams.
 */
export const SOCIAL_MIGRATIONS: MigrateOptions = {
  dir: fileURLToPath(new URL('../migrations/', import.meta.url)),
  prefix: 'social/',
};

/**
 * A standalone social instance shares signaling's database and must not create its tables
 * before signaling's exist: it waits for them, then applies its own migrations.
 */
export async function waitForSchema(db: Database, log: Logger, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let logged = false; ; ) {
    const [row] = await db.query<{ ok: boolean }>(`SELECT to_regclass('public.categories') IS NOT NULL AS ok`);
    if (row?.ok) break;
    if (Date.now() > deadline) throw new Error("signaling's schema did not appear: start signaling first");
    if (!logged) log.info("waiting for signaling's migrations");
    logged = true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await migrate(db, log, SOCIAL_MIGRATIONS);
}
