// Tips against real databases: exactly once per tipId (retried and raced), never past a balance
// or a spending cap, the 90/10 split to the planck, and paid out by the creator's next batch.
import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditLedger } from './audit.ts';
import type { Database } from './db/Database.ts';
import { Ledger, type SettledWindowResult } from './Ledger.ts';
import { creatorAccount, PLATFORM_ACCOUNT, tipLeafId, viewerAccount } from './ledgerSql.ts';
import { splitWatch } from './money.ts';
import { PayoutBook, type PayoutLeaf } from './PayoutBook.ts';
import { SpendingCaps } from './SpendingCaps.ts';
import { engines } from './testing/databases.ts';
import { usage } from './testing/fixtures.ts';
import { useDatabase } from './testing/ledgerHooks.ts';
import { TipError, Tips, type TipInput, type TipResult } from './Tips.ts';

/** Any deterministic function of the canonical leaves stands in for chain/'s root here. */
const testRoot = (leaves: readonly PayoutLeaf[]): string =>
  `0x${createHash('sha256')
    .update(JSON.stringify(leaves, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('hex')}`;

const STREAM = randomUUID();

describe.each(engines)('Tips on $name', (engine) => {
  const open = useDatabase(engine);
  const setup = async (balance = 1_000n) => {
    const { db } = await open();
    const ledger = new Ledger(db);
    if (balance > 0n) await ledger.creditDeposit({ chainId: `d:${randomUUID()}`, account: 'alice', amount: balance });
    return { db, ledger, tips: new Tips(db), caps: new SpendingCaps(db) };
  };
  const tip = (over: Partial<TipInput> = {}): TipInput => ({ tipId: randomUUID(), viewer: 'alice', creator: 'carol', stream: STREAM, amount: 100n, message: 'great set!', ...over });
  const refused = async (p: Promise<unknown>, code: TipError['code']): Promise<TipError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TipError);
    expect((err as TipError).code).toBe(code);
    return err as TipError;
  };
  const count = async (db: Database) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tips'))[0]!.n;

  it('moves the tip from the viewer: creator 90 % rounded down, platform the rest, as a tip txn', async () => {
    const { ledger, tips } = await setup();
    const r = await tips.send(tip({ amount: 101n, message: 'ünïcode ✓' }));
    expect(r.status).toBe('sent');
    expect(r.tip).toMatchObject({ viewer: 'alice', creator: 'carol', stream: STREAM, amount: 101n, creatorShare: 90n, platformShare: 11n, message: 'ünïcode ✓', payoutBatchId: null });
    expect(r.tip.createdAt).toBeInstanceOf(Date);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(899n);
    expect(await ledger.balance(creatorAccount('carol'))).toBe(90n);
    expect(await ledger.balance(PLATFORM_ACCOUNT)).toBe(11n);
    expect((await ledger.history(viewerAccount('alice'))).map((h) => [h.kind, h.amount, h.memo])).toEqual([
      ['tip', -101n, r.tip.tipId],
      ['deposit', 1000n, expect.any(String)],
    ]);
    expect(await ledger.earnings('carol')).toEqual({ settled: 90n, pending: 0n, paidOut: 0n, earned: 90n });
    expect(await tips.get(r.tip.tipId.toUpperCase())).toEqual(r.tip);
  });

  it('splits every amount exactly, odd planck and u128-sized ones too', async () => {
    const { ledger, tips } = await setup(10n ** 38n);
    const amounts = [1n, 2n, 7n, 9n, 10n, 11n, 19n, 99n, 101n, 999n, 12_345n, 10n ** 30n + 7n, 3n * 10n ** 37n + 9n];
    let creator = 0n;
    let platform = 0n;
    for (const amount of amounts) {
      const { tip: t } = await tips.send(tip({ amount }));
      expect(t.creatorShare).toBe((amount * 90n) / 100n);
      expect(t.creatorShare + t.platformShare).toBe(amount);
      expect(t.platformShare).toBeGreaterThan(0n);
      creator += t.creatorShare;
      platform += t.platformShare;
    }
    expect(creator).toBe(amounts.reduce((s, a) => s + splitWatch(a).creator, 0n));
    expect(await ledger.balance(creatorAccount('carol'))).toBe(creator);
    expect(await ledger.balance(PLATFORM_ACCOUNT)).toBe(platform);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(10n ** 38n - creator - platform);
  });

  it('pays a retried tipId once, returns the original row, and refuses it with other details', async () => {
    const { db, ledger, tips } = await setup();
    const t = tip({ amount: 300n });
    const first = await tips.send(t);
    const again = await tips.send({ ...t, tipId: t.tipId.toUpperCase() });
    expect(again).toEqual({ status: 'duplicate', tip: first.tip });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(700n);
    // Spend the rest: a retry still answers duplicate, not payment_required.
    await tips.send(tip({ amount: 700n }));
    expect((await tips.send(t)).status).toBe('duplicate');
    for (const other of [{ amount: 301n }, { message: 'edited' }, { creator: 'dave' }, { stream: randomUUID() }, { viewer: 'bob' }]) {
      const err = await refused(tips.send({ ...t, ...other }), 'conflict');
      expect(err.message).toMatch(/new tipId/);
    }
    expect(await count(db)).toBe(2);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(0n);
  });

  it('pays 50 concurrent sends of one tipId once', async () => {
    const { db, ledger, tips } = await setup();
    const t = tip({ amount: 250n });
    // Separate instances, as separate requests to separate service replicas would be.
    const results = await Promise.all(Array.from({ length: 50 }, () => new Tips(db).send(t)));
    expect(results.filter((r) => r.status === 'sent')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(49);
    const sent = results.find((r) => r.status === 'sent')!;
    for (const r of results) expect(r.tip).toEqual(sent.tip);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(750n);
    expect(await ledger.balance(creatorAccount('carol'))).toBe(225n);
    expect(await count(db)).toBe(1);
    expect((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM ledger_txns WHERE kind = 'tip'"))[0]!.n).toBe(1);
    expect(await tips.sent('alice', { limit: 10 })).toEqual([sent.tip]);
  });

  it('never overdraws under concurrent different tips, alongside watched windows', async () => {
    const { db, ledger } = await setup(1_000n);
    const settled = (await ledger.settleWindow(usage({ seconds: 10, pricePerSecond: 10n }))) as SettledWindowResult;
    expect(settled.amount).toBe(100n);
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        new Tips(db).send(tip({ amount: 100n, creator: `c${i % 4}` })).then(
          (r: TipResult) => r.status,
          (e: unknown) => (e instanceof TipError ? e.code : String(e)),
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(9);
    expect(outcomes.filter((o) => o === 'payment_required')).toHaveLength(21);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(0n);
    expect(await count(db)).toBe(9);
  });

  it('refuses a tip the balance does not cover, whole: nothing is written', async () => {
    const { db, ledger, tips } = await setup(50n);
    const err = await refused(tips.send(tip({ amount: 51n })), 'payment_required');
    expect(err.spendable).toEqual({ amount: 50n, limit: 'balance' });
    expect(err.message).toMatch(/balance is 50 planck/);
    // A viewer who never deposited has nothing to tip with.
    await refused(tips.send(tip({ viewer: 'newcomer', amount: 1n })), 'payment_required');
    expect(await count(db)).toBe(0);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(50n);
    expect((await tips.send(tip({ amount: 50n }))).status).toBe('sent');
  });

  it('counts tips against the daily and per-stream caps, together with watched seconds', async () => {
    const { ledger, tips, caps } = await setup(10_000n);
    await caps.set('alice', { perDay: 1_000n, perStream: 400n });
    expect((await tips.send(tip({ amount: 300n }))).status).toBe('sent');
    expect(await caps.spentToday('alice', STREAM)).toEqual({ day: 300n, stream: 300n });
    const onStream = await refused(tips.send(tip({ amount: 101n })), 'payment_required');
    expect(onStream.spendable).toEqual({ amount: 100n, limit: 'stream_cap' });
    // The watch side sees the tip too: only 100 left on this stream.
    const w = (await ledger.settleWindow(usage({ stream: STREAM, seconds: 20, pricePerSecond: 10n }))) as SettledWindowResult;
    expect(w).toMatchObject({ status: 'overdrawn', billedSeconds: 10, amount: 100n, capped: true });
    const other = randomUUID();
    expect((await tips.send(tip({ stream: other, amount: 400n }))).status).toBe('sent');
    const day = await refused(tips.send(tip({ stream: randomUUID(), amount: 201n })), 'payment_required');
    expect(day.spendable).toEqual({ amount: 200n, limit: 'day_cap' });
    expect(day.message).toMatch(/daily spending cap/);
    expect(await caps.spentToday('alice', other)).toEqual({ day: 800n, stream: 400n });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(9_200n);
  });

  it('refuses malformed tips as bad_request', async () => {
    const { db, tips } = await setup();
    for (const over of [
      { creator: 'alice' },
      { amount: 0n },
      { amount: -5n },
      { amount: 1n << 128n },
      { tipId: 'nope' },
      { stream: 'stream-1' },
      { viewer: '' },
      { creator: 'has space' },
      { message: 'x'.repeat(201) },
      { message: 'nul\u0000' },
    ]) {
      await refused(tips.send(tip(over)), 'bad_request');
    }
    // 200 characters counted as people (and Postgres) count them, not as UTF-16 units.
    expect((await tips.send(tip({ message: '🎉'.repeat(200), amount: 1n }))).tip.message).toHaveLength(400);
    await refused(tips.received('carol', { limit: 5, before: 'x' }), 'bad_request');
    expect(await count(db)).toBe(1);
  });

  it('lists tips received by a creator and sent by a viewer, newest first, page by page', async () => {
    const { db, ledger, tips } = await setup();
    await ledger.creditDeposit({ chainId: 'd:bob', account: 'bob', amount: 1_000n });
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) sent.push((await tips.send(tip({ viewer: i % 2 ? 'bob' : 'alice', amount: BigInt(10 + i), message: `m${i}` }))).tip.tipId);
    sent.push((await tips.send(tip({ creator: 'dave', amount: 5n }))).tip.tipId);
    // Distinct times a second apart: an embedded clock may give quick tips the same instant.
    await db.query(
      `UPDATE tips SET created_at = timestamptz '2030-01-01T00:00:00Z' + make_interval(secs => k.n)
       FROM unnest($1::uuid[]) WITH ORDINALITY AS k(id, n) WHERE tips.tip_id = k.id`,
      [sent],
    );
    const walk = async (limit: number): Promise<string[]> => {
      const out: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await tips.received('carol', { limit, ...(before ? { before } : {}) });
        if (page.length === 0) return out;
        out.push(...page.map((t) => t.tipId));
        before = page.at(-1)!.tipId;
      }
    };
    expect(await walk(3)).toEqual(sent.slice(0, 7).reverse());
    const bobs = await tips.sent('bob', { limit: 50 });
    expect(bobs.map((t) => t.message)).toEqual(['m5', 'm3', 'm1']);
    expect(bobs.every((t) => t.viewer === 'bob' && t.creator === 'carol')).toBe(true);
    expect((await tips.sent('alice', { limit: 2 })).map((t) => t.creator)).toEqual(['dave', 'carol']);
    expect(await tips.received('nobody', { limit: 10 })).toEqual([]);
    // Tips of one instant still page completely, in tipId order.
    await db.query("UPDATE tips SET created_at = timestamptz '2030-01-01T00:00:00Z'");
    expect(await walk(2)).toEqual(sent.slice(0, 7).sort().reverse());
  });

  it('is guarded by the database: a tip row must carry the exact split', async () => {
    const { db, tips } = await setup();
    const { tip: t } = await tips.send(tip());
    const [txn] = await db.query<{ id: string }>("INSERT INTO ledger_txns (kind, idempotency_key) VALUES ('tip', 'manual') RETURNING id::text AS id");
    const insert = (creatorShare: number, platformShare: number, viewer = 'alice', message = '') =>
      db.query(
        `INSERT INTO tips (tip_id, viewer, creator, stream, amount, creator_share, platform_share, message, txn_id)
         VALUES ($1, $2, 'carol', $3, 100, $4, $5, $6, $7)`,
        [randomUUID(), viewer, STREAM, creatorShare, platformShare, message, txn!.id],
      );
    await expect(insert(91, 9)).rejects.toThrow(/tips_split/);
    await expect(insert(90, 9)).rejects.toThrow(/tips_split/);
    await expect(insert(90, 10, 'carol')).rejects.toThrow(/tips_not_to_self/);
    await expect(insert(90, 10, 'alice', 'y'.repeat(201))).rejects.toThrow(/tips_message_check/);
    // One tip per ledger txn.
    await expect(
      db.query(
        `INSERT INTO tips (tip_id, viewer, creator, stream, amount, creator_share, platform_share, txn_id)
         SELECT $1, viewer, creator, stream, amount, creator_share, platform_share, txn_id FROM tips WHERE tip_id = $2`,
        [randomUUID(), t.tipId],
      ),
    ).rejects.toThrow(/tips_txn_id_key|unique/);
    await db.query("DELETE FROM ledger_txns WHERE idempotency_key = 'manual'");
    // A tip row that lies about where its money went is what the audit exists to catch.
    await db.query("UPDATE tips SET creator = 'dave' WHERE tip_id = $1", [t.tipId]);
    const problems = await auditLedger(db);
    expect(problems.some((p) => p.startsWith('tip entries differ from tips'))).toBe(true);
    expect(problems.some((p) => p.startsWith('creator balance differs from unpaid windows and tips: carol'))).toBe(true);
    await db.query("UPDATE tips SET creator = 'carol' WHERE tip_id = $1", [t.tipId]);
  });

  it("pays a creator's tips in their next payout batch, one Merkle leaf per tip, and again after a failed batch", async () => {
    const { ledger, tips } = await setup(100_000n);
    const book = new PayoutBook(ledger.db, { computeRoot: testRoot });
    await ledger.setPayoutAddress('carol', '5Carol');
    await ledger.setPayoutAddress('dave', '5Dave');
    await ledger.settleWindows([usage({ creator: 'carol', seconds: 10, pricePerSecond: 10n })]);
    const a = (await tips.send(tip({ amount: 1_001n }))).tip;
    const b = (await tips.send(tip({ amount: 1n }))).tip; // creator share 0: nothing to pay, no leaf
    const d = (await tips.send(tip({ creator: 'dave', amount: 500n }))).tip; // dave earns by tips alone
    const first = await book.createBatch({ idempotencyKey: 'p1' });
    if (first.status === 'empty') throw new Error('expected a batch');
    expect(first.batch.items).toEqual([
      { creator: 'carol', address: '5Carol', amount: 90n + 900n },
      { creator: 'dave', address: '5Dave', amount: 450n },
    ]);
    expect(first.batch).toMatchObject({ total: 1_440n, windowCount: 3 });
    const leaves = await book.leaves(first.batch.id);
    expect(first.batch.merkleRoot).toBe(testRoot(leaves));
    expect(leaves.filter((l) => l.sessionId.startsWith('tip:'))).toEqual([
      { sessionId: tipLeafId(a.tipId), window: 0, viewer: 'alice', creator: 'carol', creatorAddress: '5Carol', amount: 1_001n },
      { sessionId: tipLeafId(d.tipId), window: 0, viewer: 'alice', creator: 'dave', creatorAddress: '5Dave', amount: 500n },
    ].sort((x, y) => (x.sessionId < y.sessionId ? -1 : 1)));
    expect((await tips.get(a.tipId))!.payoutBatchId).toBe(first.batch.id);
    expect((await tips.get(b.tipId))!.payoutBatchId).toBeNull();

    // The batch fails: the tips are untagged and the next batch pays them under a new id.
    expect(await book.markFailed(first.batch.id, 'node refused')).toBe('failed');
    expect((await tips.get(a.tipId))!.payoutBatchId).toBeNull();
    expect(await book.leaves(first.batch.id)).toEqual([]);
    const later = (await tips.send(tip({ amount: 20n }))).tip;
    const second = await book.createBatch({ idempotencyKey: 'p2' });
    if (second.status === 'empty') throw new Error('expected a batch');
    expect(second.batch).toMatchObject({ total: 1_440n + 18n, windowCount: 4 });
    expect((await book.leaves(second.batch.id)).map((l) => l.sessionId)).toContain(tipLeafId(later.tipId));
    expect(await book.markFinalized(second.batch.id, { extrinsicHash: '0x01', blockHash: '0x02', blockNumber: 9 })).toBe('finalized');
    expect(await ledger.earnings('carol')).toEqual({ settled: 0n, pending: 0n, paidOut: 1_008n, earned: 1_008n });
    expect(await ledger.earnings('dave')).toEqual({ settled: 0n, pending: 0n, paidOut: 450n, earned: 450n });
    expect((await tips.received('dave', { limit: 5 }))[0]!.payoutBatchId).toBe(second.batch.id);
  });
});
