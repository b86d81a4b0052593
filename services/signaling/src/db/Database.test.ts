import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './Database.ts';

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
    await first.query(`INSERT INTO streams (id, title, category, stream_key_hash) VALUES ('00000000-0000-4000-8000-000000000001', 'kept', 'Test', '\\x00')`);
    await first.close();
    const again = await openDatabase({ databaseUrl: undefined, dataDir }, quiet);
    expect(await again.query<{ title: string }>('SELECT title FROM streams')).toEqual([{ title: 'kept' }]);
    await again.close();
  });
});
