// DepositCrediter against a real chopsticks chain (Rococo Asset Hub runtime), on both engines.
import { accountHex, devSigner, type KeyringPair } from '@vilokanam/chain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceCursor, depositCursorName, loadCursor } from './chainState.ts';
import { DepositCrediter } from './DepositCrediter.ts';
import { Ledger } from './Ledger.ts';
import { ESCROW_ACCOUNT, viewerAccount } from './ledgerSql.ts';
import { SettlementMetrics } from './SettlementMetrics.ts';
import { depositOnChain, quietLog, randomAddress, ROC, sendAndFinalize, startEscrowChain, type EscrowChain } from './testing/chain.ts';
import { engines } from './testing/databases.ts';
import { useDatabase } from './testing/ledgerHooks.ts';

let fx: EscrowChain;
let bob: KeyringPair;
let charlie: KeyringPair;
let dave: KeyringPair;

beforeAll(async () => {
  fx = await startEscrowChain();
  [bob, charlie, dave] = (await Promise.all(['//Bob', '//Charlie', '//Dave'].map((u) => devSigner(u)))) as [KeyringPair, KeyringPair, KeyringPair];
}, 120_000);

afterAll(async () => {
  await fx?.close();
}, 60_000);

describe.each(engines)('DepositCrediter on $name and a real dev chain', (engine) => {
  const open = useDatabase(engine);

  const setup = async () => {
    const { db } = await open();
    const ledger = new Ledger(db);
    const metrics = new SettlementMetrics();
    // Its own escrow per case: the chain is shared, the ledgers are not.
    const escrow = randomAddress();
    const start = (await fx.chain.headNumber()) + 1;
    const crediter = (startBlock?: number) =>
      new DepositCrediter({ db, ledger, api: fx.api, escrow, log: quietLog, metrics, pollMs: 200, ...(startBlock === undefined ? {} : { startBlock }) });
    const count = async (table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
    const outcomes = async () => Object.fromEntries((await metrics.deposits.get()).values.map((v) => [v.labels.outcome, v.value]));
    return { db, ledger, escrow, start, crediter, count, outcomes };
  };

  it('credits each finalized deposit once, keeps memo-less ones unassigned, and a restart from an older cursor credits nothing twice', async () => {
    const { db, ledger, escrow, start, crediter, count, outcomes } = await setup();
    const first = crediter(start);
    expect(await first.init()).toBe(start);

    await depositOnChain(fx.api, bob, escrow, 5n * ROC, 'viewer-a');
    await depositOnChain(fx.api, charlie, escrow, 2n * ROC, 'viewer-b');
    await sendAndFinalize(fx.api.tx.balances!.transferKeepAlive!(escrow, 3n * ROC), dave);
    await depositOnChain(fx.api, bob, escrow, 1n * ROC, 'viewer-a');
    const head = await fx.chain.headNumber();

    expect(await first.catchUp()).toBe(head + 1);
    expect(await ledger.balance(viewerAccount('viewer-a'))).toBe(6n * ROC);
    expect(await ledger.balance(viewerAccount('viewer-b'))).toBe(2n * ROC);
    expect(await ledger.balance(ESCROW_ACCOUNT)).toBe(-8n * ROC);
    const [unassigned] = await db.query<{ amount: string; block_number: string; memo: string | null }>(
      'SELECT amount::text AS amount, block_number::text AS block_number, memo FROM unassigned_deposits',
    );
    expect(unassigned).toEqual({ amount: (3n * ROC).toString(), block_number: String(start + 2), memo: null });
    // The cursor is in the database, past the last block read.
    expect(await loadCursor(db, depositCursorName(accountHex(escrow)))).toBe(head + 1);
    expect(await outcomes()).toEqual({ credited: 3, unassigned: 1 });

    // A restart with the cursor back at the start (a crash before the cursor was saved,
    // or an operator's rescan): every deposit comes again and changes nothing.
    await db.query('UPDATE chain_cursors SET next_block = $2 WHERE name = $1', [first.cursorName, start]);
    const again = crediter();
    expect(await again.init()).toBe(start);
    expect(await again.catchUp()).toBe(head + 1);
    expect(await outcomes()).toEqual({ credited: 3, unassigned: 1, duplicate: 4 });
    expect(await ledger.balance(viewerAccount('viewer-a'))).toBe(6n * ROC);
    expect(await ledger.balance(ESCROW_ACCOUNT)).toBe(-8n * ROC);
    expect(await count('deposits')).toBe(3);
    expect(await count('unassigned_deposits')).toBe(1);
    // Cursors never move back by themselves, whoever writes last.
    await advanceCursor(db, first.cursorName, start);
    expect(await loadCursor(db, first.cursorName)).toBe(head + 1);
  });

  it('follows finality: a new deposit is credited once finalized, and the cursor is saved on stop', async () => {
    const { db, ledger, escrow, start, crediter } = await setup();
    const live = crediter(start);
    await live.start();
    const hash = await depositOnChain(fx.api, charlie, escrow, 4n * ROC, 'viewer-c');
    await expect.poll(() => ledger.balance(viewerAccount('viewer-c')), { timeout: 20_000, interval: 100 }).toBe(4n * ROC);
    await live.stop();
    const block = (await fx.api.rpc.chain.getHeader(hash)).number.toNumber();
    expect(await loadCursor(db, live.cursorName)).toBeGreaterThanOrEqual(block + 1);
    const [row] = await db.query<{ chain_id: string; block_number: string }>('SELECT chain_id, block_number::text AS block_number FROM deposits');
    expect(row!.chain_id.startsWith(`${hash}:`)).toBe(true);
    expect(Number(row!.block_number)).toBe(block);
  });

  it('never credits a deposit whose block was replaced before the crediter read it', async () => {
    const { ledger, escrow, start, crediter } = await setup();
    // Chopsticks calls every block final, so dev_setHead stands in for a reorg of blocks a
    // real chain has not finalized yet: the crediter only ever reads the chain as it is.
    await depositOnChain(fx.api, dave, escrow, 9n * ROC, 'viewer-r');
    const orphaned = await fx.chain.headNumber();
    await fx.chain.rpc('dev_setHead', [orphaned - 1]);
    await fx.chain.newBlock();
    const kept = await depositOnChain(fx.api, dave, escrow, 4n * ROC, 'viewer-r');
    const c = crediter(start);
    await c.catchUp();
    expect(await ledger.balance(viewerAccount('viewer-r'))).toBe(4n * ROC);
    const history = await ledger.history(viewerAccount('viewer-r'));
    expect(history.map((h) => h.memo!.split(':')[0])).toEqual([kept]);
  });
});
