// A user account and its settlement ledger owner are one and the same: signing in creates
// (or completes) the ledger's `accounts` row under the same id, in the same transaction.
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { creatorAccount, Ledger, PayoutBook, viewerAccount } from '@vilokanam/settlement';
import { chainMerkleRoot } from '@vilokanam/settlement/chain';
import type { Database } from '../db/Database.ts';
import { engines } from '../testing/databases.ts';
import { AccountStore } from './AccountStore.ts';
import { newPair } from '@vilokanam/testkit/clients';
import { parseAddress, type WalletKey } from './wallet.ts';

const newKey = (): WalletKey => parseAddress(newPair('sr25519').address, 42)!;

beforeAll(() => cryptoWaitReady());

describe.each(engines)('AccountStore and the ledger on $name', (engine) => {
  let handle: { db: Database; drop(): Promise<void> } | undefined;
  afterEach(async () => {
    await handle?.drop();
    handle = undefined;
  });
  const open = async () => {
    handle = await engine.open();
    return { db: handle.db, store: new AccountStore(handle.db), ledger: new Ledger(handle.db) };
  };
  const payoutAddress = async (db: Database, id: string) =>
    (await db.query<{ payout_address: string | null }>('SELECT payout_address FROM accounts WHERE id = $1', [id]))[0]?.payout_address;

  it('makes the signed-in user the ledger owner, paid out to their own address', async () => {
    const { db, store, ledger } = await open();
    const viewer = newKey();
    const creator = newKey();
    await store.upsert(viewer, 'Viewer');
    await store.upsert(creator, 'Creator');
    expect(await payoutAddress(db, creator.id)).toBe(creator.address);

    // The ledger, keyed by the same id, bills the viewer and pays the creator's address.
    await ledger.creditDeposit({ chainId: 'block:1', account: viewer.id, amount: 1_000n });
    await ledger.settleWindow({
      sessionId: '00000000-0000-4000-8000-0000000000a1',
      window: 3,
      seconds: 10,
      pricePerSecond: 10n,
      viewer: viewer.id,
      creator: creator.id,
      stream: 'stream-1',
    });
    expect(await ledger.balance(viewerAccount(viewer.id))).toBe(900n);
    expect(await ledger.balance(creatorAccount(creator.id))).toBe(90n);
    const owners = await db.query<{ id: string; owner: string }>("SELECT id, owner FROM ledger_accounts WHERE kind IN ('viewer', 'creator') ORDER BY id");
    expect(owners).toEqual([
      { id: creatorAccount(creator.id), owner: creator.id },
      { id: viewerAccount(viewer.id), owner: viewer.id },
    ]);
    const batch = await new PayoutBook(db, { computeRoot: chainMerkleRoot }).createBatch({ idempotencyKey: 'first' });
    expect(batch.status).toBe('created');
    expect(batch.status === 'created' && batch.batch.items).toEqual([{ creator: creator.id, address: creator.address, amount: 90n }]);
  });

  it('completes a ledger account created before the first sign-in, and keeps a payout address chosen later', async () => {
    const { db, store, ledger } = await open();
    const early = newKey();
    // A deposit whose memo named this id arrived before its owner ever signed in.
    await ledger.creditDeposit({ chainId: 'block:2', account: early.id, amount: 500n });
    expect(await payoutAddress(db, early.id)).toBeNull();
    await store.upsert(early, undefined);
    expect(await payoutAddress(db, early.id)).toBe(early.address);
    expect(await ledger.balance(viewerAccount(early.id))).toBe(500n);

    const elsewhere = newKey().address;
    await ledger.setPayoutAddress(early.id, elsewhere);
    await store.upsert(early, undefined);
    expect(await payoutAddress(db, early.id)).toBe(elsewhere);
    expect(await db.query('SELECT id FROM accounts WHERE id = $1', [early.id])).toHaveLength(1);
  });

  it('creates neither row when the ledger side fails', async () => {
    const { db, store } = await open();
    await db.exec(`CREATE FUNCTION refuse_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'accounts refused for this test'; END $$;
      CREATE TRIGGER refuse_accounts BEFORE INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION refuse_accounts();`);
    const key = newKey();
    await expect(store.upsert(key, 'Nobody')).rejects.toThrow('accounts refused for this test');
    expect(await store.get(key.id)).toBeUndefined();
  });
});
