// The money API over real HTTP, on each real database engine, with sessions from real sr25519
// sign-ins. The ledger is seeded through settlement's own Ledger and PayoutBook, and the
// proofs are checked with chain/'s verifier and its verify-proof command.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bodyParser } from '@koa/bodyparser';
import type { KeyringPair } from '@polkadot/keyring/types';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto';
import Koa from 'koa';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depositMemo, parseDepositMemo, verifyInclusion } from '@vilokanam/chain';
import { Ledger, PayoutBook, saveChainProperties, Tips, type WindowUsage } from '@vilokanam/settlement';
import { chainMerkleRoot } from '@vilokanam/settlement/chain';
import { createAuth, type Auth } from '../auth/Auth.ts';
import { authRoutes } from '../auth/authRouter.ts';
import { sessionMiddleware } from '../auth/middleware.ts';
import { AuthClient, newPair } from '@vilokanam/testkit/clients';
import type { Database } from '../db/Database.ts';
import { errorMiddleware } from '../http/errors.ts';
import { StreamStore } from '../StreamStore.ts';
import { engines } from '../testing/databases.ts';
import { moneyRoutes, type MoneyConfig } from './moneyRouter.ts';
import type { ChainResponse, DepositStatusResponse, EarningsResponse, ProofBundle, ProofFile, ReconcilerResponse, WalletResponse } from '@vilokanam/contracts/money';

const quiet = pino({ level: 'silent' });
const run = promisify(execFile);
const VERIFY_PROOF = fileURLToPath(new URL('../../../../chain/src/cli/verify-proof.ts', import.meta.url));
const idOf = (pair: KeyringPair) => u8aToHex(decodeAddress(pair.address));
const hash = () => `0x${randomBytes(32).toString('hex')}`;
// The earnings clock, fixed so each window's bucket is known.
const NOW = Date.UTC(2031, 4, 6, 12, 30, 20);
const MIN = 60_000;

interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

describe.each(engines)('money API on $name', (engine) => {
  let handle: { db: Database; drop(): Promise<void> };
  let auth: Auth;
  const servers: Server[] = [];
  let base: string;
  let bare: string;
  let withRpc: string;
  const viewerDeposit = `${hash()}:1`;
  let tmp: string;
  const escrow = newPair('sr25519', 0).address;
  const pairs = { viewer: newPair('sr25519'), other: newPair('sr25519'), creator: newPair('sr25519'), admin: newPair('ed25519'), stranger: newPair('sr25519') };
  const clients = {} as Record<keyof typeof pairs, AuthClient>;
  const s1 = randomUUID();
  const s2 = randomUUID();
  const s3 = randomUUID();
  const finalizedAt = { extrinsicHash: hash(), blockHash: hash(), blockNumber: 1234 };
  let stream1: string;

  const serve = async (money: MoneyConfig): Promise<string> => {
    // The same middleware order as http/app.ts.
    const app = new Koa();
    app.proxy = true;
    app.use(errorMiddleware(quiet));
    app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '32kb' }));
    app.use(sessionMiddleware(auth));
    app.use(moneyRoutes({ db: handle.db, auth, log: quiet, money, now: () => NOW }));
    app.use(authRoutes(auth));
    const server = createServer(app.callback());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  const get = async <T = any>(who: keyof typeof pairs | null, url: string, init: { method?: string; at?: string } = {}): Promise<Reply<T>> => {
    const cookie = who ? clients[who].cookie : undefined;
    const res = await fetch(`${init.at ?? base}/api/v1${url}`, { method: init.method ?? 'GET', headers: cookie ? { cookie } : {} });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };

  beforeAll(async () => {
    await cryptoWaitReady();
    handle = await engine.open();
    const { db } = handle;
    auth = createAuth(db, { sessionSecret: randomBytes(32), sessionTtlSeconds: 3600, challengeTtlSeconds: 300, ss58Prefix: 42 });
    base = await serve({ escrowAddress: escrow, adminAccounts: [pairs.admin.address], explorerUrl: 'https://explorer.test/extrinsic/{txHash}?block={blockNumber}' });
    bare = await serve({ escrowAddress: undefined, adminAccounts: [] });
    withRpc = await serve({ escrowAddress: undefined, adminAccounts: [], rpcUrl: 'wss://rpc.example/asset-hub' });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vilo-proofs-'));
    for (const [name, pair] of Object.entries(pairs)) {
      const client = new AuthClient(base);
      expect((await client.signIn(pair)).status).toBe(200);
      clients[name as keyof typeof pairs] = client;
    }

    // Seeded through settlement's own API, as the worker and the payout job would.
    stream1 = (await new StreamStore(db).create({ title: 'Night jazz', category: 'music', creatorId: idOf(pairs.creator) }))!.stream.id;
    const ledger = new Ledger(db);
    const book = new PayoutBook(db, { computeRoot: chainMerkleRoot });
    const [viewer, other, creator] = [idOf(pairs.viewer), idOf(pairs.other), idOf(pairs.creator)];
    await ledger.creditDeposit({ chainId: viewerDeposit, account: viewer, amount: 1_000_000n });
    await ledger.creditDeposit({ chainId: `${hash()}:2`, account: other, amount: 5_000n });
    const w = (sessionId: string, window: number, over: Partial<WindowUsage> = {}): WindowUsage => ({
      sessionId,
      window,
      seconds: 10,
      pricePerSecond: 100n,
      viewer,
      creator,
      stream: stream1,
      ...over,
    });
    await ledger.settleWindows([
      ...[0, 1, 2, 3].map((i) => w(s1, i)),
      ...[0, 1].map((i) => w(s2, i, { seconds: 9, pricePerSecond: 7n, stream: 'elsewhere' })),
      ...[0, 1].map((i) => w(s3, i, { viewer: other })),
    ]);
    const first = await book.createBatch({ idempotencyKey: 'k1', batchId: 'batch-1' });
    expect(first.status).toBe('created');
    await book.markSubmitted('batch-1', finalizedAt.extrinsicHash);
    await book.markFinalized('batch-1', finalizedAt);
    await ledger.settleWindows([w(s1, 4), w(s1, 5)]);
    await book.createBatch({ idempotencyKey: 'k2', batchId: 'batch-2' });
    await book.markSubmitted('batch-2', hash());
    await ledger.settleWindows([w(s1, 6)]);
    await book.createBatch({ idempotencyKey: 'k3', batchId: 'batch-3' });
    await book.markFailed('batch-3', 'balances.InsufficientBalance');

    const at = (ms: number) => new Date(NOW - ms).toISOString();
    await db.query('UPDATE settled_windows SET settled_at = $1 WHERE session_id = $2', [at(5 * MIN), s1]);
    await db.query('UPDATE settled_windows SET settled_at = $1 WHERE session_id = $2', [at(120 * MIN), s2]);
    await db.query('UPDATE settled_windows SET settled_at = $1 WHERE session_id = $2', [at(0.5 * MIN), s3]);
  });

  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    if (tmp) await rm(tmp, { recursive: true, force: true });
    await handle?.drop();
  });

  it('answers 401 without a session, 403 for non-admins, 400 for bad input, 405 for wrong methods, all as JSON', async () => {
    for (const url of ['/me/wallet', '/me/earnings', '/me/proofs?batch=batch-1', '/admin/reconciler']) {
      expect(await get(null, url)).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    }
    expect(await get('viewer', '/admin/reconciler')).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    for (const url of ['/me/earnings?range=2h', '/me/wallet?limit=0', '/me/wallet?before=abc', '/me/proofs', '/me/proofs?batch=no%20spaces', `/me/proofs?session=${s1}`, '/me/proofs?session=x&window=1', '/me/proofs?batch=batch-1&batch=batch-2']) {
      const r = await get('viewer', url);
      expect(r.status, url).toBe(400);
      expect(r.body.error.code).toBe('bad_request');
    }
    const wrong = await get('viewer', '/me/wallet', { method: 'POST' });
    expect(wrong).toMatchObject({ status: 405, body: { error: { code: 'bad_request' } } });
    expect(wrong.headers.get('allow')).toContain('GET');
  });

  it('tells anyone the chain token once settlement has recorded it, and where a browser wallet deposits', async () => {
    const before = await get<ChainResponse>(null, '/chain');
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ token: null, ss58Prefix: null, genesisHash: null, existentialDeposit: null, rpcUrl: null, escrowAddress: escrow });
    const genesisHash = hash();
    await saveChainProperties(handle.db, { genesisHash, specName: 'statemint', tokenSymbol: 'DOT', tokenDecimals: 10, ss58Prefix: 0, existentialDeposit: 10n ** 8n });
    const after = await get<ChainResponse>(null, '/chain', { at: withRpc });
    expect(after.body).toEqual({ token: { symbol: 'DOT', decimals: 10 }, ss58Prefix: 0, genesisHash, existentialDeposit: '100000000', rpcUrl: 'wss://rpc.example/asset-hub', escrowAddress: null });
    // Settlement connecting again (another chain, or a runtime upgrade) rewrites the one row.
    await saveChainProperties(handle.db, { genesisHash, specName: 'statemint', tokenSymbol: 'DOT', tokenDecimals: 10, ss58Prefix: 0, existentialDeposit: 2n * 10n ** 8n });
    expect((await get<ChainResponse>(null, '/chain')).body.existentialDeposit).toBe('200000000');
    expect((await handle.db.query('SELECT count(*)::int AS n FROM chain_properties'))[0]).toEqual({ n: 1 });
    const bad = { genesisHash: 'nope', specName: 'x', tokenSymbol: 'DOT', tokenDecimals: 10, ss58Prefix: 0, existentialDeposit: 1n };
    await expect(saveChainProperties(handle.db, bad)).rejects.toThrow();
  });

  it('tells a wallet when its deposit is credited, to its owner only', async () => {
    const mine = await get<DepositStatusResponse>('viewer', `/me/deposits/${viewerDeposit.toUpperCase().replace('0X', '0x')}`);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ id: viewerDeposit, credited: true, amount: '1000000' });
    // Someone else's deposit reads exactly like one not credited yet.
    expect((await get<DepositStatusResponse>('other', `/me/deposits/${viewerDeposit}`)).body).toEqual({ id: viewerDeposit, credited: false });
    expect((await get<DepositStatusResponse>('viewer', `/me/deposits/${hash()}:0`)).body.credited).toBe(false);
    expect((await get('viewer', '/me/deposits/nope')).status).toBe(400);
    expect((await get('viewer', `/me/deposits/${hash()}:1234567`)).status).toBe(400);
    expect((await get(null, `/me/deposits/${viewerDeposit}`)).status).toBe(401);
  });

  it('shows the viewer their balance, history and deposit memo', async () => {
    const r = await get<WalletResponse>('viewer', '/me/wallet?limit=200');
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const viewer = idOf(pairs.viewer);
    // 1,000,000 in; 7 windows at 1,000 and 2 at 63 out.
    expect(r.body).toMatchObject({ account: viewer, address: pairs.viewer.address, balance: '992874', nextBefore: null });
    expect(r.body.deposit).toEqual({ escrowAddress: escrow, memo: depositMemo(viewer) });
    expect(parseDepositMemo(r.body.deposit!.memo)).toBe(viewer);
    expect(r.body.history.map((h) => h.kind).sort()).toEqual(['deposit', 'watch', 'watch', 'watch']);
    expect(r.body.history.at(-1)).toMatchObject({ kind: 'deposit', amount: '1000000' });
    expect(r.body.history.reduce((sum, h) => sum + BigInt(h.amount), 0n)).toBe(992_874n);

    // Paging one entry at a time walks the same list.
    const paged: string[] = [];
    let before: string | null = '';
    while (before !== null) {
      const page: Reply<WalletResponse> = await get('viewer', `/me/wallet?limit=1${before ? `&before=${before}` : ''}`);
      paged.push(...page.body.history.map((h) => h.entryId));
      before = page.body.nextBefore;
    }
    expect(paged).toEqual(r.body.history.map((h) => h.entryId));

    const none = await get<WalletResponse>('viewer', '/me/wallet', { at: bare });
    expect(none.body.deposit).toBeNull();
    expect(none.body.depositUnavailableReason).toMatch(/escrow/);
    const stranger = await get<WalletResponse>('stranger', '/me/wallet');
    expect(stranger.body).toMatchObject({ balance: '0', history: [], nextBefore: null });
  });

  it('shows the creator earnings per stream, over time, pending vs in payout vs paid out, and payouts', async () => {
    const r = await get<EarningsResponse>('creator', '/me/earnings');
    expect(r.status).toBe(200);
    const e = r.body;
    // Paid: s1 0-3 (4 × 900), s2 (2 × 56), s3 (2 × 900). In payout: s1 4-5. Pending: s1 6 (its batch failed).
    expect(e.totals).toEqual({ pending: '900', inPayout: '1800', paidOut: '5512', earned: '8212' });
    const ledgerView = await new Ledger(handle.db).earnings(idOf(pairs.creator));
    expect(e.totals).toEqual({ pending: `${ledgerView.settled}`, inPayout: `${ledgerView.pending}`, paidOut: `${ledgerView.paidOut}`, earned: `${ledgerView.earned}` });

    expect(e.streams.map(({ lastSettledAt: _, ...s }) => s)).toEqual([
      { streamId: stream1, title: 'Night jazz', seconds: 90, windows: 9, gross: '9000', creatorShare: '8100' },
      { streamId: 'elsewhere', title: null, seconds: 18, windows: 2, gross: '126', creatorShare: '112' },
    ]);

    expect(e.series).toMatchObject({ range: '1h', bucket: 'minute' });
    expect(e.series.points).toHaveLength(60);
    expect(Date.parse(e.series.to)).toBe(Math.floor(NOW / MIN) * MIN + MIN);
    const busy = e.series.points.filter((p) => p.gross !== '0');
    // s1 five minutes ago, s3 half a minute ago; s2 (two hours ago) is outside the hour.
    expect(busy).toEqual([
      { start: new Date(Math.floor((NOW - 5 * MIN) / MIN) * MIN).toISOString(), seconds: 70, gross: '7000', creatorShare: '6300' },
      { start: new Date(Math.floor((NOW - 0.5 * MIN) / MIN) * MIN).toISOString(), seconds: 20, gross: '2000', creatorShare: '1800' },
    ]);
    const day = (await get<EarningsResponse>('creator', '/me/earnings?range=24h')).body.series;
    expect(day).toMatchObject({ range: '24h', bucket: 'hour' });
    expect(day.points).toHaveLength(24);
    expect(day.points.reduce((sum, p) => sum + BigInt(p.creatorShare), 0n)).toBe(8212n);

    expect(e.payouts.map((p) => [p.batchId, p.status, p.amount])).toEqual([
      ['batch-3', 'failed', '900'],
      ['batch-2', 'submitted', '1800'],
      ['batch-1', 'finalized', '5512'],
    ]);
    const paid = e.payouts[2]!;
    expect(paid).toMatchObject({ txHash: finalizedAt.extrinsicHash, blockHash: finalizedAt.blockHash, blockNumber: 1234 });
    expect(paid.explorerUrl).toBe(`https://explorer.test/extrinsic/${finalizedAt.extrinsicHash}?block=1234`);
    // No block yet, so no link: the template needs one.
    expect(e.payouts[1]!.explorerUrl).toBeUndefined();

    const viewerSide = (await get<EarningsResponse>('viewer', '/me/earnings')).body;
    expect(viewerSide).toMatchObject({ totals: { earned: '0' }, streams: [], payouts: [] });
  });

  it('hands viewers and creators proofs of their own windows that chain/ verifies', async () => {
    const root = (await handle.db.query<{ merkle_root: string }>("SELECT merkle_root FROM payout_batches WHERE id = 'batch-1'"))[0]!.merkle_root;
    const mine = await get<ProofBundle>('viewer', '/me/proofs?batch=batch-1');
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ batchId: 'batch-1', status: 'finalized', root, blockHash: finalizedAt.blockHash, total: 6, offset: 0 });
    expect(mine.body.proofs.map((p) => `${p.leaf.sessionId}:${p.leaf.window}`).sort()).toEqual(
      [...[0, 1, 2, 3].map((i) => `${s1}:${i}`), ...[0, 1].map((i) => `${s2}:${i}`)].sort(),
    );
    for (const p of mine.body.proofs) {
      expect(p.leaf.viewer).toBe(idOf(pairs.viewer));
      expect(await verifyInclusion(p)).toMatchObject({ ok: true, proofValid: true });
    }
    // A proof with another window's leaf does not verify: the files are not interchangeable.
    const [a, b] = mine.body.proofs;
    expect((await verifyInclusion({ ...a!, leaf: b!.leaf })).ok).toBe(false);

    const creator = await get<ProofBundle>('creator', '/me/proofs?batch=batch-1');
    expect(creator.body.total).toBe(8);
    const page = await get<ProofBundle>('creator', '/me/proofs?batch=batch-1&offset=6&limit=5');
    expect(page.body).toMatchObject({ total: 8, offset: 6 });
    expect(page.body.proofs).toEqual(creator.body.proofs.slice(6));
    expect(await get('stranger', '/me/proofs?batch=batch-1')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });

    // One window, as a file the verify-proof command takes as it is.
    const one = await get<ProofFile>('viewer', `/me/proofs?session=${s1}&window=2`);
    expect(one.status).toBe(200);
    expect(one.headers.get('content-disposition')).toBe(`attachment; filename="proof-batch-1-${s1}-2.json"`);
    expect(one.body).toEqual(mine.body.proofs.find((p) => p.leaf.sessionId === s1 && p.leaf.window === 2));
    expect(await get('viewer', `/me/proofs?batch=batch-1&session=${s1}&window=2`)).toMatchObject({ status: 200, body: one.body });
    const file = path.join(tmp, 'proof.json');
    await writeFile(file, JSON.stringify(one.body));
    const cli = await run(process.execPath, [VERIFY_PROOF, file]);
    expect(cli.stdout).toMatch(/^OK: proof valid/);
    await writeFile(file, JSON.stringify({ ...one.body, leaf: { ...one.body.leaf, amount: '999' } }));
    await expect(run(process.execPath, [VERIFY_PROOF, file])).rejects.toMatchObject({ code: 1 });

    // Someone else's window looks exactly like a missing one.
    expect(await get('other', `/me/proofs?session=${s1}&window=2`)).toMatchObject({ status: 404 });
    expect(await get('viewer', `/me/proofs?session=${s1}&window=2&batch=batch-2`)).toMatchObject({ status: 404 });
    expect((await get('other', `/me/proofs?session=${s3}&window=1`)).status).toBe(200);
  });

  it('proves windows of a payout not final yet against its root, refuses reversed ones, and never hands out a proof that fails its root', async () => {
    const pending = await get<ProofFile>('viewer', `/me/proofs?session=${s1}&window=5`);
    expect(pending.status).toBe(200);
    expect(pending.body.batchId).toBe('batch-2');
    expect(pending.body.blockHash).toBeUndefined();
    expect(await verifyInclusion(pending.body)).toMatchObject({ ok: true, proofValid: true });

    // batch-3 failed: window 6 went back to unpaid.
    expect(await get('viewer', `/me/proofs?session=${s1}&window=6`)).toMatchObject({ status: 404, body: { error: { message: 'that window is not in a payout yet' } } });
    expect(await get('viewer', '/me/proofs?batch=batch-3')).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    expect(await get('viewer', '/me/proofs?batch=no-such-batch')).toMatchObject({ status: 404 });

    const { db } = handle;
    const real = (await db.query<{ merkle_root: string }>("SELECT merkle_root FROM payout_batches WHERE id = 'batch-2'"))[0]!.merkle_root;
    await db.query("UPDATE payout_batches SET merkle_root = $1 WHERE id = 'batch-2'", [hash()]);
    try {
      expect(await get('viewer', '/me/proofs?batch=batch-2')).toMatchObject({ status: 500, body: { error: { code: 'internal' } } });
    } finally {
      await db.query("UPDATE payout_batches SET merkle_root = $1 WHERE id = 'batch-2'", [real]);
    }
    expect((await get('viewer', '/me/proofs?batch=batch-2')).status).toBe(200);
  });

  it('shows admins the reconciler runs and payout states, and copes with no reconciler table', async () => {
    const { db } = handle;
    const empty = await get<ReconcilerResponse>('admin', '/admin/reconciler');
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ reconcilerInstalled: true, runs: [] });
    expect(empty.body.payouts.counts).toEqual({ pending: 0, submitted: 1, finalized: 1, failed: 1, expired: 0 });
    expect(empty.body.payouts.recent.map((b) => [b.batchId, b.status, b.total, b.creators, b.windowCount])).toEqual([
      ['batch-3', 'failed', '900', 1, 1],
      ['batch-2', 'submitted', '1800', 1, 2],
      ['batch-1', 'finalized', '5512', 1, 8],
    ]);
    expect(empty.body.payouts.recent[0]!.error).toBe('balances.InsufficientBalance');

    const big = '1180591620717411303424'; // 2^70: a double would round it.
    const insert = `INSERT INTO reconciler_runs (started_at, finished_at, clean, escrow_chain, escrow_ledger, report)
                    VALUES ($1, $2, $3, $4, $5, $6::jsonb)`;
    await db.query(insert, [new Date(NOW - 2 * MIN), new Date(NOW - 2 * MIN + 900), true, '5000', '5000', JSON.stringify({ checks: [{ name: 'escrow balance', ok: true }] })]);
    await db.query(insert, [
      new Date(NOW - MIN),
      new Date(NOW - MIN + 800),
      false,
      big,
      '5000',
      `{"checks":[{"name":"escrow balance","ok":false,"expected":${big},"actual":"5000","detail":"chain holds more than the ledger"},{"name":"ledger audit","ok":true},{"bogus":1}]}`,
    ]);
    const runs = (await get<ReconcilerResponse>('admin', '/admin/reconciler?limit=5')).body.runs;
    expect(runs.map((r) => r.clean)).toEqual([false, true]);
    expect(runs[0]).toMatchObject({ escrowChain: big, escrowLedger: '5000', startedAt: new Date(NOW - MIN).toISOString() });
    expect(runs[0]!.checks).toEqual([
      { name: 'escrow balance', ok: false, expected: big, actual: '5000', detail: 'chain holds more than the ledger' },
      { name: 'ledger audit', ok: true },
    ]);
    expect((await get<ReconcilerResponse>('admin', '/admin/reconciler?limit=1')).body.runs).toHaveLength(1);

    // A database whose reconciler migration has not run: an empty list, not an error.
    await db.exec('DROP TABLE reconciler_runs');
    expect(await get('admin', '/admin/reconciler')).toMatchObject({ status: 200, body: { reconcilerInstalled: false, runs: [] } });
  });

  it("counts a tip in the creator's earnings and hands both sides a proof of it that chain/ verifies", async () => {
    const { db } = handle;
    const [viewer, creator] = [idOf(pairs.viewer), idOf(pairs.creator)];
    const tipId = randomUUID();
    const before = (await get<EarningsResponse>('creator', '/me/earnings?range=24h')).body;
    const sent = await new Tips(db).send({ tipId, viewer, creator, stream: stream1, amount: 1_001n, message: 'encore' });
    await db.query('UPDATE tips SET created_at = $1 WHERE tip_id = $2', [new Date(NOW - 2 * MIN).toISOString(), tipId]);
    const after = (await get<EarningsResponse>('creator', '/me/earnings?range=24h')).body;
    expect(BigInt(after.totals.earned) - BigInt(before.totals.earned)).toBe(sent.tip.creatorShare);
    // The dashboard's stream row and time series carry the tip, so they still add up to what was earned.
    const row = after.streams.find((x) => x.streamId === stream1)!;
    const was = before.streams.find((x) => x.streamId === stream1)!;
    expect([BigInt(row.gross) - BigInt(was.gross), BigInt(row.creatorShare) - BigInt(was.creatorShare), row.seconds, row.windows]).toEqual([1_001n, 900n, was.seconds, was.windows]);
    expect(after.series.points.reduce((sum, p) => sum + BigInt(p.creatorShare), 0n)).toBe(BigInt(after.totals.earned));
    expect((await get<WalletResponse>('viewer', '/me/wallet')).body.history[0]).toMatchObject({ kind: 'tip', amount: '-1001', memo: tipId });

    expect(await get('viewer', `/me/proofs?tip=${tipId}`)).toMatchObject({ status: 404, body: { error: { message: 'that tip is not in a payout yet' } } });
    const book = new PayoutBook(db, { computeRoot: chainMerkleRoot });
    expect((await book.createBatch({ idempotencyKey: 'k4', batchId: 'batch-4' })).status).toBe('created');
    for (const who of ['viewer', 'creator'] as const) {
      const one = await get<ProofFile>(who, `/me/proofs?tip=${tipId.toUpperCase()}`);
      expect(one.status).toBe(200);
      expect(one.headers.get('content-disposition')).toBe(`attachment; filename="proof-batch-4-tip-${tipId}.json"`);
      expect(one.body.leaf).toEqual({ sessionId: `tip:${tipId}`, window: 0, viewer, creator, amount: '1001' });
      expect(await verifyInclusion(one.body)).toMatchObject({ ok: true, proofValid: true });
    }
    const bundle = await get<ProofBundle>('viewer', '/me/proofs?batch=batch-4');
    expect(bundle.body.proofs.map((p) => p.leaf.sessionId)).toContain(`tip:${tipId}`);
    expect(await get('other', `/me/proofs?tip=${tipId}`)).toMatchObject({ status: 404 });
    expect(await get('viewer', `/me/proofs?tip=${tipId}&batch=batch-2`)).toMatchObject({ status: 404 });
    for (const url of ['/me/proofs?tip=nope', `/me/proofs?tip=${tipId}&session=${s1}&window=1`]) expect((await get('viewer', url)).status, url).toBe(400);
  });
});
