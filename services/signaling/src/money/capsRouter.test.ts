// Spending caps and the CSV statement over REST, against real databases.
import { randomBytes, randomUUID } from 'node:crypto';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, saveChainProperties, Tips, Withdrawals } from '@vilokanam/settlement';
import type { SpendingCapsResponse } from '@vilokanam/contracts/money';
import { newPair } from '@vilokanam/testkit/clients';
import type { Database } from '../db/Database.ts';
import { engines } from '../testing/databases.ts';
import { startApiServer, type ApiServer } from '../testing/apiServer.ts';
import { capsRoutes } from './capsRouter.ts';
import { statementRoutes } from './statementRouter.ts';

const idOf = (address: string) => u8aToHex(decodeAddress(address));
const ROC = 10n ** 12n;

describe.each(engines)('caps and statement API on $name', (engine) => {
  let handle: { db: Database; drop(): Promise<void> };
  let api: ApiServer;
  let viewer: string;
  let other: string;
  const pair = newPair('sr25519');
  const stream = randomUUID();

  beforeAll(async () => {
    await cryptoWaitReady();
    handle = await engine.open();
    api = await startApiServer(handle.db, [capsRoutes({ db: handle.db }), statementRoutes({ db: handle.db })], randomBytes(32));
    viewer = await api.signIn(pair);
    other = await api.signIn(newPair('sr25519'));
    await saveChainProperties(handle.db, { genesisHash: `0x${'11'.repeat(32)}`, specName: 'statemine', tokenSymbol: 'ROC', tokenDecimals: 12, ss58Prefix: 42, existentialDeposit: 10n ** 9n, withdrawalFee: 10n ** 7n });
    const ledger = new Ledger(handle.db);
    const id = idOf(pair.address);
    await ledger.creditDeposit({ chainId: `0x${'ab'.repeat(32)}:1`, account: id, amount: 5n * ROC });
    await ledger.settleWindows([{ sessionId: randomUUID(), window: 7, seconds: 10, pricePerSecond: 10n ** 9n, viewer: id, creator: idOf(newPair('sr25519').address), stream }]);
  }, 60_000);

  afterAll(async () => {
    api?.close();
    await handle?.drop();
  });

  it('sets and reads caps, with what today leaves on a stream', async () => {
    const none = await api.call<SpendingCapsResponse>(viewer, 'GET', `/me/caps?stream=${stream}`);
    expect(none.body).toEqual({
      perDay: null, perStream: null, spentToday: (10n ** 10n).toString(), balance: (5n * ROC - 10n ** 10n).toString(),
      stream: { id: stream, spentToday: (10n ** 10n).toString(), spendable: (5n * ROC - 10n ** 10n).toString(), limit: 'balance' },
    });
    const set = await api.call<SpendingCapsResponse>(viewer, 'PUT', '/me/caps', { perDay: (ROC / 10n).toString(), perStream: (3n * 10n ** 10n).toString() });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ perDay: (ROC / 10n).toString(), perStream: (3n * 10n ** 10n).toString() });
    const capped = await api.call<SpendingCapsResponse>(viewer, 'GET', `/me/caps?stream=${stream}`);
    expect(capped.body.stream).toEqual({ id: stream, spentToday: (10n ** 10n).toString(), spendable: (2n * 10n ** 10n).toString(), limit: 'stream_cap' });
    expect((await api.call<SpendingCapsResponse>(other, 'GET', '/me/caps')).body).toMatchObject({ perDay: null, spentToday: '0' });
  });

  it('refuses bad caps as JSON 4xx', async () => {
    for (const [cookie, body, status] of [
      [null, { perDay: null, perStream: null }, 401],
      [viewer, { perDay: '0', perStream: null }, 400],
      [viewer, { perDay: '-1', perStream: null }, 400],
      [viewer, { perDay: 1, perStream: null }, 400],
      [viewer, { perDay: null }, 400],
      [viewer, { perDay: null, perStream: null, more: 1 }, 400],
    ] as const) {
      const r = await api.call<{ error: { message: string } }>(cookie, 'PUT', '/me/caps', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(typeof r.body.error.message).toBe('string');
    }
    expect((await api.call(viewer, 'GET', '/me/caps?stream=nope')).status).toBe(400);
  });

  it('exports every billed window, tip, deposit and withdrawal as CSV, exact in planck and in tokens', async () => {
    const w = await new Withdrawals(handle.db).request({ owner: idOf(pair.address), destination: pair.address, requested: ROC, charge: 10n ** 7n, idempotencyKey: 'csv-1' });
    expect(w.status).toBe('created');
    const tipId = randomUUID();
    const tip = await new Tips(handle.db).send({ tipId, viewer: idOf(pair.address), creator: idOf(newPair('sr25519').address), stream, amount: 3n * 10n ** 9n + 1n, message: '=cmd|evil' });
    expect(tip.status).toBe('sent');
    const r = await api.call(viewer, 'GET', '/me/statement.csv');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="vilokanam-statement-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"$/);
    const [header, ...rows] = r.text.trimEnd().split('\r\n');
    expect(header).toBe('time_utc,kind,stream,session,window,seconds_billed,price_planck_per_second,amount_planck,amount_roc,reference');
    const byKind = Object.fromEntries(rows.map((l) => [l.split(',')[1], l.split(',')]));
    expect(byKind.deposit!.slice(7, 9)).toEqual([(5n * ROC).toString(), '5']);
    expect(byKind.watch!.slice(2, 9)).toEqual([stream, expect.stringMatching(/^[0-9a-f-]{36}$/), '7', '10', '1000000000', '-10000000000', '-0.01']);
    expect(byKind.withdrawal!.slice(7, 9)).toEqual([(-ROC).toString(), '-1']);
    // A tip sent: its stream, amount and id; never the message.
    expect(byKind.tip!.slice(2, 10)).toEqual([stream, '', '', '', '', '-3000000001', '-0.003000000001', tipId]);
    expect(r.text).not.toContain('evil');
    // The statement's amounts add up to the balance.
    const sum = rows.reduce((s, l) => s + BigInt(l.split(',')[7]!), 0n);
    expect(sum).toBe(await new Ledger(handle.db).balance(`viewer:${idOf(pair.address)}`));
    // Someone else's statement is theirs alone; bad ranges are refused.
    expect((await api.call(other, 'GET', '/me/statement.csv')).text.trimEnd().split('\r\n')).toHaveLength(1);
    expect((await api.call(null, 'GET', '/me/statement.csv')).status).toBe(401);
    expect((await api.call(viewer, 'GET', '/me/statement.csv?from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z')).status).toBe(400);
    expect((await api.call(viewer, 'GET', '/me/statement.csv?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z')).status).toBe(400);
    expect((await api.call(viewer, 'GET', '/me/statement.csv?from=yesterday')).status).toBe(400);
  });
});
