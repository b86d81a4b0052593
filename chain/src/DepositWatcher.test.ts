import type { KeyringPair } from '@polkadot/keyring/types';
import { encodeAddress } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDepositExtrinsic, DepositWatcher, type Deposit } from './DepositWatcher.ts';
import { devSigner } from './keys.ts';
import { freshPair, quietLog, ROC, randomAddress, sendAndFinalize, startChain, type ChainFixture } from './testing/chainFixture.ts';

let fx: ChainFixture;
let escrow: string;
let bob: KeyringPair;
let charlie: KeyringPair;
let dave: KeyringPair;
let start: number;
let afterFirstRound: number;
const ids: Record<string, string> = {};

const collect = (into: Deposit[]) => async (d: Deposit) => void into.push(d);
const ss58 = (pair: KeyringPair): string => encodeAddress(pair.publicKey, fx.api.registry.chainSS58 ?? 42);

beforeAll(async () => {
  fx = await startChain();
  escrow = freshPair().address;
  bob = await devSigner('//Bob');
  charlie = await devSigner('//Charlie');
  dave = await devSigner('//Dave');
  start = (await fx.chain.headNumber()) + 1;
  const { api } = fx;
  // One of each kind, each in its own block (instant mode).
  ids.memo = await sendAndFinalize(buildDepositExtrinsic(api, escrow, 5n * ROC, 'user-42'), bob);
  ids.plain = await sendAndFinalize(api.tx.balances!.transferKeepAlive!(escrow, 2n * ROC), charlie);
  ids.elsewhere = await sendAndFinalize(buildDepositExtrinsic(api, randomAddress(), 9n * ROC, 'user-9'), dave);
  // Fails inside batchAll: the memo is rolled back with the transfer, nothing reaches escrow.
  ids.failed = await sendAndFinalize(buildDepositExtrinsic(api, escrow, 10n ** 30n, 'user-broke'), dave);
  ids.badMemo = await sendAndFinalize(
    api.tx.utility!.batchAll!([api.tx.balances!.transfer!(escrow, 3n * ROC), api.tx.system!.remarkWithEvent!('vilokanam:deposit:v1:has space')]),
    dave,
  );
  afterFirstRound = (await fx.chain.headNumber()) + 1;
}, 120_000);

afterAll(async () => {
  await fx?.close();
}, 60_000);

describe('DepositWatcher on a real dev chain', () => {
  it('reports each successful transfer to escrow once, with memo account and amount', async () => {
    const seen: Deposit[] = [];
    const watcher = new DepositWatcher({ api: fx.api, escrow, cursor: start, onDeposit: collect(seen), log: quietLog });
    const cursors: number[] = [];
    watcher.on('cursor', (c) => cursors.push(c));
    expect(await watcher.catchUp()).toBe(afterFirstRound);
    expect(cursors.at(-1)).toBe(afterFirstRound);

    expect(seen.map((d) => [d.blockHash, d.from, d.amount, d.memoAccount])).toEqual([
      [ids.memo, ss58(bob), 5n * ROC, 'user-42'],
      [ids.plain, ss58(charlie), 2n * ROC, null],
      [ids.badMemo, ss58(dave), 3n * ROC, null],
    ]);
    expect(seen[0]!.id).toBe(`${ids.memo}:${seen[0]!.extrinsicIndex}`);
    expect(seen[0]!.memo).toBe('vilokanam:deposit:v1:user-42');
    expect(seen[1]!.memo).toBeNull();
    // An unparseable memo is kept for ops but names no account.
    expect(seen[2]!.memo).toBe('vilokanam:deposit:v1:has space');
    expect(await watcher.catchUp()).toBe(afterFirstRound);
    expect(seen).toHaveLength(3);
  });

  it('reports nothing new when restarted from the returned cursor', async () => {
    const seen: Deposit[] = [];
    const watcher = new DepositWatcher({ api: fx.api, escrow, cursor: afterFirstRound, onDeposit: collect(seen), log: quietLog });
    expect(await watcher.catchUp()).toBe(afterFirstRound);
    expect(seen).toEqual([]);
  });

  it('re-delivers the same ids from an earlier cursor, and a deduping consumer credits once', async () => {
    const credited = new Map<string, bigint>();
    const credit = async (d: Deposit): Promise<void> => {
      if (!credited.has(d.id)) credited.set(d.id, d.amount);
    };
    const first: Deposit[] = [];
    const again: Deposit[] = [];
    await new DepositWatcher({ api: fx.api, escrow, cursor: start, onDeposit: async (d) => (first.push(d), credit(d)), log: quietLog }).catchUp();
    await new DepositWatcher({ api: fx.api, escrow, cursor: start, onDeposit: async (d) => (again.push(d), credit(d)), log: quietLog }).catchUp();
    expect(again.map((d) => d.id)).toEqual(first.map((d) => d.id));
    expect([...credited.values()].reduce((s, a) => s + a, 0n)).toBe(10n * ROC);
  });

  it('does not move the cursor past a block whose handler failed', async () => {
    let fail = true;
    const seen: string[] = [];
    const watcher = new DepositWatcher({
      api: fx.api,
      escrow,
      cursor: start,
      log: quietLog,
      onDeposit: async (d) => {
        seen.push(d.id);
        if (fail && d.memoAccount === null) throw new Error('database down');
      },
    });
    await expect(watcher.catchUp()).rejects.toThrow('database down');
    expect(seen).toHaveLength(2);
    const plainBlock = (await fx.api.rpc.chain.getHeader(ids.plain!)).number.toNumber();
    expect(watcher.cursor).toBe(plainBlock);
    fail = false;
    expect(await watcher.catchUp()).toBe(afterFirstRound);
    // The failed deposit came again; the one before it did not.
    expect(seen.filter((id) => id.startsWith(ids.plain!))).toHaveLength(2);
    expect(seen.filter((id) => id.startsWith(ids.memo!))).toHaveLength(1);
  });

  it('follows finality and reports a new deposit as it is finalized', async () => {
    const seen: Deposit[] = [];
    const watcher = new DepositWatcher({ api: fx.api, escrow, cursor: afterFirstRound, onDeposit: collect(seen), log: quietLog, pollMs: 500 });
    const got = new Promise<Deposit>((resolve) => watcher.once('deposit', resolve));
    watcher.start();
    const blockHash = await sendAndFinalize(buildDepositExtrinsic(fx.api, escrow, 4n * ROC, 'user-7'), bob);
    const d = await got;
    expect(d).toMatchObject({ blockHash, amount: 4n * ROC, memoAccount: 'user-7', from: ss58(bob) });
    await watcher.stop();
    expect(seen).toHaveLength(1);
    expect(watcher.cursor).toBe(d.blockNumber + 1);
  });

  it('never reads past the finalized head', async () => {
    const head = await fx.api.rpc.chain.getHeader(await fx.api.rpc.chain.getFinalizedHead());
    const watcher = new DepositWatcher({ api: fx.api, escrow, cursor: head.number.toNumber() + 5, onDeposit: async () => {}, log: quietLog });
    expect(await watcher.catchUp()).toBe(head.number.toNumber() + 5);
    expect(() => new DepositWatcher({ api: fx.api, escrow: 'nope', cursor: 1, onDeposit: async () => {}, log: quietLog })).toThrow('escrow');
  });
});
