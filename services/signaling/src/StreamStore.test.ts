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

  it('keeps a stream live while its holder renews the lease, and hands the lease to a claimant', async () => {
    const { db } = await open();
    const a = new StreamStore(db, { holder: 'replica-a', seconds: 20 });
    const b = new StreamStore(db, { holder: 'replica-b', seconds: 20 });
    const s = (await create(a, 'Leased')).stream;
    await a.markLive(s.id);
    expect(await a.leaseHolder(s.id)).toBe('replica-a');
    // A process that starts while the lease is fresh ends nothing.
    expect(await b.endExpiredLeases()).toEqual([]);
    expect(await a.renewLeases([s.id])).toEqual([s.id]);
    expect(await b.renewLeases([s.id])).toEqual([]);

    // The publisher came back on b: a's grace must not end the stream, and a renews nothing more.
    expect(await b.claimLease(s.id)).toBe(true);
    expect(await a.leaseHolder(s.id)).toBe('replica-b');
    expect(await a.endIfHeld(s.id)).toBeUndefined();
    expect(await a.renewLeases([s.id])).toEqual([]);
    expect((await a.get(s.id))?.status).toBe('live');
    const ended = await b.endIfHeld(s.id);
    expect(ended?.status).toBe('ended');
    expect(await b.leaseHolder(s.id)).toBeUndefined();
    expect(await b.claimLease(s.id)).toBe(false);
    expect(await b.renewLeases([s.id])).toEqual([]);
  });

  it('ends a stream whose lease passed exactly once, however many replicas sweep at once', async () => {
    const { db } = await open();
    const stores = ['a', 'b', 'c'].map((h) => new StreamStore(db, { holder: h, seconds: 20 }));
    const fresh = (await create(stores[0]!, 'Fresh')).stream;
    const stale = (await create(stores[0]!, 'Stale')).stream;
    const unleased = (await create(stores[0]!, 'Before leases')).stream;
    for (const s of [fresh, stale, unleased]) await stores[0]!.markLive(s.id);
    // Its holder died 30 s ago; a stream from before leases existed has none.
    await db.query(`UPDATE streams SET live_lease_until = now() - interval '30 seconds' WHERE id = $1`, [stale.id]);
    await db.query(`UPDATE streams SET live_lease_until = NULL WHERE id = $1`, [unleased.id]);
    const swept = (await Promise.all(stores.map((st) => st.endExpiredLeases()))).flat();
    expect(swept.sort()).toEqual([stale.id, unleased.id].sort());
    expect((await stores[1]!.get(stale.id))).toMatchObject({ status: 'ended', endedAt: expect.any(Date) });
    expect((await stores[1]!.get(fresh.id))?.status).toBe('live');
    expect(await stores[2]!.endExpiredLeases()).toEqual([]);
  });

  it('gives a lease as long as configured, measured on the database clock', async () => {
    const { db } = await open();
    const store = new StreamStore(db, { holder: 'h', seconds: 7 });
    const s = (await create(store, 'Timed')).stream;
    await store.markLive(s.id);
    const [row] = await db.query<{ secs: number }>(`SELECT extract(epoch FROM live_lease_until - now())::float8 AS secs FROM streams WHERE id = $1`, [s.id]);
    expect(row!.secs).toBeGreaterThan(6);
    expect(row!.secs).toBeLessThanOrEqual(7);
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
