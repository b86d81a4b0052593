import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, type Database } from './db/Database.ts';
import { StreamStore, toView } from './StreamStore.ts';
import { createTestAccount } from '@vilokanam/testkit/clients';
import { engines } from './testing/databases.ts';

describe.each(engines)('StreamStore on $name', (engine) => {
  let handle: { db: Database; drop(): Promise<void> } | undefined;
  afterEach(async () => {
    await handle?.drop();
    handle = undefined;
  });
  let creatorId = '';
  const open = async () => {
    handle = await engine.open();
    creatorId = await createTestAccount(handle.db);
    return { db: handle.db, store: new StreamStore(handle.db) };
  };
  const create = async (store: StreamStore, title: string, category = 'games') => (await store.create({ title, category, creatorId }))!;

  it('creates a stream, storing only the hash of its key', async () => {
    const { db, store } = await open();
    const { stream, streamKey } = await create(store, 'Night jazz', 'music');
    expect(stream).toMatchObject({ title: 'Night jazz', category: 'music', status: 'created', startedAt: null });
    const rows = await db.query<{ h: string }>("SELECT encode(stream_key_hash, 'escape') AS h FROM streams");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.h).not.toContain(streamKey.slice(3));
    expect(await store.verifyKey(stream.id, streamKey)).toBe(true);
    expect(await store.verifyKey(stream.id, `${streamKey}x`)).toBe(false);
    expect(JSON.stringify(toView(stream, 0))).not.toContain(streamKey);
  });

  it('moves through live and ended, and lists by status', async () => {
    const { store } = await open();
    const a = (await create(store, 'A')).stream;
    const b = (await create(store, 'B')).stream;
    const live = await store.markLive(a.id);
    expect(live?.status).toBe('live');
    expect(live?.startedAt).toBeInstanceOf(Date);
    expect((await store.list('live')).map((s) => s.id)).toEqual([a.id]);
    expect((await store.list()).map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
    const ended = await store.markEnded(a.id);
    expect(ended?.status).toBe('ended');
    expect(ended?.endedAt).toBeInstanceOf(Date);
    expect(await store.list('live')).toEqual([]);
    expect(await store.markLive('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('ends streams left live by a crashed process', async () => {
    const { store } = await open();
    const a = (await create(store, 'A')).stream;
    await store.markLive(a.id);
    expect(await store.endAllLive()).toBe(1);
    expect((await store.get(a.id))?.status).toBe('ended');
  });

  it('enforces the schema in the database too', async () => {
    const { store } = await open();
    await expect(create(store, '')).rejects.toThrow(/check constraint/i);
  });

  it('bounds the streams a creator holds open, even when creates race', async () => {
    const { store } = await open();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.create({ title: `S${i}`, category: 'games', creatorId, maxOpen: 3 })));
    expect(results.filter((r) => r !== undefined)).toHaveLength(3);
    expect(await store.openCount(creatorId)).toBe(3);
    const first = results.find((r) => r !== undefined)!.stream;
    await store.markEnded(first.id);
    expect(await store.create({ title: 'again', category: 'games', creatorId, maxOpen: 3 })).toBeDefined();
  });

  it('applies each migration once', async () => {
    const { db } = await open();
    expect(await migrate(db, pino({ level: 'silent' }))).toEqual([]);
    const versions = await db.query<{ version: string }>('SELECT version FROM schema_migrations');
    expect(versions.map((v) => v.version)).toContain('001_streams');
  });
});
