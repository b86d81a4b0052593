import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SOCIAL_MIGRATIONS } from '@vilokanam/social';
import { Ledger, viewerAccount } from '@vilokanam/settlement';
import { SETTLEMENT_MIGRATIONS } from '@vilokanam/settlement/db';
import { engines } from '../testing/databases.ts';
import { migrate, openDatabase, SIGNALING_MIGRATIONS, type Database } from './Database.ts';

const quiet = pino({ level: 'silent' });
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('openDatabase on PGlite', () => {
  it('creates a data directory whose parents do not exist yet, and keeps data across reopen', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vilo-db-'));
    const dataDir = path.join(dir, 'fresh', 'nested', 'pglite');
    const first = await openDatabase({ databaseUrl: undefined, dataDir }, quiet);
    await first.query(`INSERT INTO streams (id, title, category, stream_key_hash) VALUES ('00000000-0000-4000-8000-000000000001', 'kept', 'music', '\\x00')`);
    await first.close();
    const again = await openDatabase({ databaseUrl: undefined, dataDir }, quiet);
    expect(await again.query<{ title: string }>('SELECT title FROM streams')).toEqual([{ title: 'kept' }]);
    await again.close();
  });

  it('opens a database an older signaling created (unprefixed versions, no ledger) and adds the ledger', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vilo-db-'));
    const dataDir = path.join(dir, 'pglite');
    // What the signaling-only layer did: each file in its own transaction, recorded unprefixed.
    const { PGlite } = await import('@electric-sql/pglite');
    const old = await PGlite.create(dataDir);
    await old.exec('CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const files = ['001_streams.sql', '002_accounts.sql'];
    for (const f of files) {
      await old.exec(await readFile(path.join(SIGNALING_MIGRATIONS.dir, f), 'utf8'));
      await old.query('INSERT INTO schema_migrations (version) VALUES ($1)', [path.basename(f, '.sql')]);
    }
    await old.exec(`INSERT INTO streams (id, title, category, stream_key_hash) VALUES ('00000000-0000-4000-8000-000000000002', 'old', 'Test', '\\x00')`);
    await old.close();

    const db = await openDatabase({ databaseUrl: undefined, dataDir }, quiet);
    const versions = (await db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version);
    // Signaling's old files were not run again (they would fail on CREATE TABLE); the ledger's
    // and any newer signaling files ran.
    const settlement = (await readdir(SETTLEMENT_MIGRATIONS.dir)).filter((f) => f.endsWith('.sql')).map((f) => `settlement/${path.basename(f, '.sql')}`);
    const signaling = (await readdir(SIGNALING_MIGRATIONS.dir)).filter((f) => f.endsWith('.sql')).map((f) => path.basename(f, '.sql'));
    const social = (await readdir(SOCIAL_MIGRATIONS.dir)).filter((f) => f.endsWith('.sql')).map((f) => `social/${path.basename(f, '.sql')}`);
    expect(settlement).toContain('settlement/001_ledger');
    expect(versions).toEqual([...signaling, ...settlement, ...social].sort());
    // A category typed before the managed list became 'other'.
    expect(await db.query<{ title: string; category: string }>('SELECT title, category FROM streams')).toEqual([{ title: 'old', category: 'other' }]);
    const ledger = new Ledger(db);
    await ledger.creditDeposit({ chainId: 'c:1', account: 'someone', amount: 5n });
    expect(await ledger.balance(viewerAccount('someone'))).toBe(5n);
    await db.close();
  });
});

describe.each(engines)('the shared database layer on $name', (engine) => {
  let handle: { db: Database; drop(): Promise<void> } | undefined;
  afterEach(async () => {
    await handle?.drop();
    handle = undefined;
  });

  it('holds both services’ tables, migrated once, with interactive transactions', async () => {
    handle = await engine.open();
    const { db } = handle;
    const versions = (await db.query<{ version: string }>('SELECT version FROM schema_migrations')).map((r) => r.version);
    expect(versions).toEqual(expect.arrayContaining(['settlement/001_ledger', '001_streams', '002_accounts']));
    expect(await migrate(db, quiet)).toEqual([]);

    // A failing transaction body leaves nothing behind; the layer signaling had before could not do this.
    const id = `0x${'ab'.repeat(32)}`;
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO accounts (id) VALUES ($1)', [id]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await db.query('SELECT id FROM accounts WHERE id = $1', [id])).toEqual([]);
  });
});
