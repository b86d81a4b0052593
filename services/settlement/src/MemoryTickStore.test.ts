import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Ledger } from './Ledger.ts';
import { creatorAccount, PLATFORM_ACCOUNT, viewerAccount } from './ledgerSql.ts';
import { MemoryTickStore } from './MemoryTickStore.ts';
import { SettlementWorker, type SettlementWorkerOptions } from './SettlementWorker.ts';
import { engines } from './testing/databases.ts';
import { useDatabase } from './testing/ledgerHooks.ts';
import type { OverdraftMessage } from '@vilokanam/contracts/ticks';

const W = 10;
const quiet = pino({ level: 'silent' });
/** An hour ago, at a window start: every window near it is long closed. */
const PAST = Math.floor((Date.now() / 1000 - 3600) / W) * W;

/** sfu-node's TickSink (sfu-node/src/Meter.ts), restated: the store must satisfy it as is. */
interface TickSink {
  record(ticks: readonly { sessionId: string; unixSecond: number }[]): Promise<void>;
}

describe('MemoryTickStore contract', () => {
  it('keeps seconds, not counts: repeated ticks are no-ops, windows are indexed', async () => {
    const store = new MemoryTickStore({ windowSeconds: W });
    const sink: TickSink = store;
    const sid = randomUUID();
    await sink.record([
      { sessionId: sid, unixSecond: PAST },
      { sessionId: sid, unixSecond: PAST },
      { sessionId: sid, unixSecond: PAST + 1 },
      { sessionId: sid, unixSecond: PAST + W },
    ]);
    await store.recordTick(sid, PAST + 1);
    expect(store.ticksIn(sid, PAST / W)).toBe(2);
    expect(store.ticksIn(sid, PAST / W + 1)).toBe(1);
    expect(await store.indexedWindows()).toBe(2);
    // The worker reads the seconds themselves, window by window in the order asked.
    const at = (window: number) => ({ member: `${sid}:${window}`, sessionId: sid, window });
    const read = await store.read([at(PAST / W + 1), at(PAST / W), at(PAST / W + 2)], []);
    expect(read.seconds.map((s) => [...s].sort((x, y) => x - y))).toEqual([[PAST + W], [PAST, PAST + 1], []]);
    // All or nothing: one bad tick stores none of the batch.
    await expect(store.recordTicks([{ sessionId: sid, unixSecond: PAST + 2 }, { sessionId: sid, unixSecond: 1.5 }])).rejects.toThrow(/unixSecond/);
    expect(store.ticksIn(sid, PAST / W)).toBe(2);
  });

  it('validates sessions like the Redis contract', async () => {
    const store = new MemoryTickStore();
    const ok = { sessionId: randomUUID(), viewer: 'v', creator: 'c', stream: 's', pricePerSecond: 5n, joinedAt: 1 };
    await store.openViewerSession(ok);
    await expect(store.openViewerSession({ ...ok, sessionId: 'NOT-A-UUID' })).rejects.toThrow(/sessionId/);
    await expect(store.openViewerSession({ ...ok, viewer: 'has space' })).rejects.toThrow(/viewer/);
    await expect(store.openViewerSession({ ...ok, pricePerSecond: -1n })).rejects.toThrow(/price/);
    const read = await store.read([], [ok.sessionId, randomUUID()]);
    expect(read.sessions[0]).toEqual(ok);
    expect(read.sessions[1]).toBeUndefined();
  });
});

describe.each(engines)('SettlementWorker on $name with a MemoryTickStore', (engine) => {
  const open = useDatabase(engine);

  const setup = async (opts: Partial<SettlementWorkerOptions> = {}, now = Date.now) => {
    const { db } = await open();
    const store = new MemoryTickStore({ windowSeconds: W, now });
    const ledger = new Ledger(db);
    const worker = new SettlementWorker({ source: store, ledger, log: quiet, windowSeconds: W, graceSeconds: 5, batchSize: 7, ...opts });
    const session = async (viewer = 'alice', creator = 'carol', price = 10n, stream = 'st1') => {
      const sessionId = randomUUID();
      await store.openViewerSession({ sessionId, viewer, creator, stream, pricePerSecond: price, joinedAt: Date.now() });
      return sessionId;
    };
    return { db, store, ledger, worker, session };
  };

  it('settles closed windows only, exactly the distinct seconds, then forgets them', async () => {
    const { store, ledger, worker, session } = await setup();
    await ledger.creditDeposit({ chainId: 'd1', account: 'alice', amount: 1_000_000n });
    // Three streams: on one stream, two sessions of a viewer would pay for a second once.
    const sids = [await session(), await session('alice', 'carol', 10n, 'st2'), await session('alice', 'dave', 3n, 'st3')];
    const now = Math.floor(Date.now() / 1000);
    let expected = 0n;
    for (const [i, sid] of sids.entries()) {
      for (let s = PAST; s < PAST + 95; s += 1 + i) await store.record([{ sessionId: sid, unixSecond: s }, { sessionId: sid, unixSecond: s }]);
      expected += BigInt(Math.ceil(95 / (1 + i))) * (i === 2 ? 3n : 10n);
    }
    await store.recordTick(sids[0]!, now);
    const sum = await worker.runOnce();
    expect(sum.windows).toBe(30);
    expect(sum.batches).toBe(5);
    expect(sum.ticks).toBe(95 + 48 + 32);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(1_000_000n - expected);
    const paid = (await ledger.balance(creatorAccount('carol'))) + (await ledger.balance(creatorAccount('dave'))) + (await ledger.balance(PLATFORM_ACCOUNT));
    expect(paid).toBe(expected);
    // Only the open window is left.
    expect(await store.indexedWindows()).toBe(1);
    expect(store.ticksIn(sids[0]!, Math.floor(now / W))).toBe(1);
    expect(store.ticksIn(sids[0]!, PAST / W)).toBe(0);
  });

  it('bills a second two sessions of a viewer on one stream both ticked once, as with Redis', async () => {
    const { store, ledger, worker, session } = await setup();
    await ledger.creditDeposit({ chainId: 'd1', account: 'alice', amount: 1_000_000n });
    const [a, b] = [await session(), await session()];
    for (let s = PAST; s < PAST + 30; s++) await store.record([{ sessionId: a, unixSecond: s }]);
    for (let s = PAST + 20; s < PAST + 40; s++) await store.record([{ sessionId: b, unixSecond: s }]);
    expect(await worker.runOnce()).toMatchObject({ ticks: 50, sharedSeconds: 10, billedSeconds: 40 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(1_000_000n - 400n);
  });

  it('replays a batch that crashed between commit and cleanup as duplicates; a late tick is never billed', async () => {
    let crash = true;
    const { store, ledger, worker, session } = await setup({
      beforeCleanup: () => {
        if (crash) throw new Error('crash after commit');
      },
    });
    await ledger.creditDeposit({ chainId: 'd1', account: 'alice', amount: 1_000_000n });
    const sid = await session();
    for (let s = PAST; s < PAST + 30; s++) await store.recordTick(sid, s);
    await expect(worker.runOnce()).rejects.toThrow('crash after commit');
    const afterCrash = await ledger.balance(viewerAccount('alice'));
    expect(await store.indexedWindows()).toBe(3);
    crash = false;
    expect(await worker.runOnce()).toMatchObject({ settled: 0, duplicates: 3 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(afterCrash);
    await store.recordTick(sid, PAST + 3);
    expect(await worker.runOnce()).toMatchObject({ settled: 0, duplicates: 1 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(1_000_000n - 300n);
    expect(await store.indexedWindows()).toBe(0);
  });

  it('emits overdrafts on the store, once per session per pass, instead of Redis pub/sub', async () => {
    const { store, ledger, worker, session } = await setup();
    await ledger.creditDeposit({ chainId: 'd1', account: 'bob', amount: 125n });
    const sid = await session('bob', 'carol', 10n);
    const seen: OverdraftMessage[] = [];
    store.on('overdraft', (m) => seen.push(m));
    for (let s = PAST; s < PAST + 20; s++) await store.recordTick(sid, s);
    await worker.runOnce();
    expect(seen).toEqual([{ v: 1, sessionId: sid, viewer: 'bob', stream: 'st1', window: PAST / W + 1, unbilledSeconds: 8, reason: 'overdrawn' }]);
    expect(await ledger.balance(viewerAccount('bob'))).toBe(5n);
  });

  it('sets windows without a live session aside, and settles them once requeued', async () => {
    let nowMs = Date.now();
    const { store, ledger, worker, session } = await setup({}, () => nowMs);
    await ledger.creditDeposit({ chainId: 'd1', account: 'alice', amount: 1_000_000n });
    const sid = await session();
    const stranger = randomUUID();
    await store.recordTicks([
      { sessionId: sid, unixSecond: PAST },
      { sessionId: stranger, unixSecond: PAST },
    ]);
    // A closed session's record outlives its TTL only until it expires.
    await store.closeViewerSession(sid, 60);
    nowMs += 61_000;
    const sum = await worker.runOnce();
    expect(sum).toMatchObject({ orphaned: 2, settled: 0 });
    expect(store.orphans().sort()).toEqual([`${sid}:${PAST / W}`, `${stranger}:${PAST / W}`].sort());
    await store.openViewerSession({ sessionId: stranger, viewer: 'alice', creator: 'carol', stream: 'st1', pricePerSecond: 7n, joinedAt: 1 });
    expect(store.requeueOrphan(`${stranger}:${PAST / W}`)).toBe(true);
    expect(await worker.runOnce()).toMatchObject({ settled: 1, ticks: 1 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(1_000_000n - 7n);
  });
});
