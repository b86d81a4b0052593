// The withdrawal routes against real databases: who may withdraw what, to where, how often,
// and that every refusal is a JSON 4xx that moves no money. Sending on chain is settlement's
// (withdrawalCrash.test.ts, and the paid e2e).
import { randomBytes, randomUUID } from 'node:crypto';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress, encodeAddress } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLedger, Ledger, PLATFORM_ACCOUNT, saveChainProperties, viewerAccount } from '@vilokanam/settlement';
import type { WithdrawalsResponse, WithdrawalView } from '@vilokanam/contracts/money';
import { newPair } from '@vilokanam/testkit/clients';
import type { Database } from '../db/Database.ts';
import { startApiServer, quietLog, type ApiServer } from '../testing/apiServer.ts';
import { engines } from '../testing/databases.ts';
import { withdrawalsRoutes, type WithdrawalsDeps } from './withdrawalsRouter.ts';

const FEE = 10_000_000n;
const ED = 1_000_000_000n;
const idOf = (address: string) => u8aToHex(decodeAddress(address));

describe.each(engines)('withdrawal API on $name', (engine) => {
  let handle: { db: Database; drop(): Promise<void> };
  let api: ApiServer;
  const servers: ApiServer[] = [];
  const pairs = { viewer: newPair('sr25519'), admin: newPair('sr25519'), other: newPair('sr25519') };
  // Configured in Polkadot's format (prefix 0); shown and paid in the chain's (42 here).
  const configuredTreasury = newPair('sr25519', 0).address;
  const treasury = encodeAddress(decodeAddress(configuredTreasury), 42);
  const cookies = {} as Record<keyof typeof pairs, string>;
  const secret = randomBytes(32);
  let kicks = 0;

  const serve = async (deps: Omit<WithdrawalsDeps, 'db' | 'log'>): Promise<ApiServer> => {
    const server = await startApiServer(handle.db, [withdrawalsRoutes({ db: handle.db, log: quietLog, ...deps })], secret);
    servers.push(server);
    return server;
  };

  const call = <T = any>(who: keyof typeof pairs | null, method: string, path: string, body?: unknown) =>
    api.call<T>(who ? cookies[who] : null, method, path, body);

  beforeAll(async () => {
    await cryptoWaitReady();
    handle = await engine.open();
    api = await serve({ ss58Prefix: 42, adminAccounts: [pairs.admin.address], treasuryAddress: configuredTreasury, kick: async () => void kicks++ });
    for (const [name, pair] of Object.entries(pairs)) cookies[name as keyof typeof pairs] = await api.signIn(pair);
    const ledger = new Ledger(handle.db);
    await ledger.creditDeposit({ chainId: `0x${'ab'.repeat(32)}:1`, account: idOf(pairs.viewer.address), amount: 100n * ED });
    await ledger.settleWindows([{ sessionId: randomUUID(), window: 1, seconds: 10, pricePerSecond: ED, viewer: idOf(pairs.viewer.address), creator: idOf(pairs.other.address), stream: 's' }]);
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) s.close();
    await handle?.drop();
  });

  it('says why there are no withdrawals until settlement has read the chain', async () => {
    const r = await call<WithdrawalsResponse>('viewer', 'GET', '/me/withdrawals');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ available: (90n * ED).toString(), inFlight: '0', quote: null, withdrawals: [] });
    expect(r.body.unavailableReason).toMatch(/settlement is connected/);
    const post = await call('viewer', 'POST', '/me/withdrawals', { amount: (2n * ED).toString(), destination: pairs.viewer.address, requestId: randomUUID() });
    expect(post.status).toBe(503);
    await saveChainProperties(handle.db, { genesisHash: `0x${'11'.repeat(32)}`, specName: 'statemine', tokenSymbol: 'ROC', tokenDecimals: 12, ss58Prefix: 42, existentialDeposit: ED, withdrawalFee: FEE });
  });

  it('withdraws to an address once per request id, showing the fee and what arrives', async () => {
    const quote = await call<WithdrawalsResponse>('viewer', 'GET', '/me/withdrawals');
    expect(quote.body.quote).toEqual({ fee: FEE.toString(), minimum: (FEE + ED).toString() });
    const requestId = randomUUID();
    const body = { amount: (10n * ED).toString(), destination: pairs.other.address, requestId };
    const first = await call<WithdrawalView>('viewer', 'POST', '/me/withdrawals', body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ destination: pairs.other.address, requested: (10n * ED).toString(), fee: FEE.toString(), sent: (10n * ED - FEE).toString(), status: 'pending' });
    expect(kicks).toBe(1);
    const again = await call<WithdrawalView>('viewer', 'POST', '/me/withdrawals', body);
    expect(again).toMatchObject({ status: 200, body: { id: first.body.id } });
    expect(kicks).toBe(1);
    expect((await call('viewer', 'POST', '/me/withdrawals', { ...body, amount: (11n * ED).toString() })).status).toBe(409);
    const after = await call<WithdrawalsResponse>('viewer', 'GET', '/me/withdrawals');
    expect(after.body).toMatchObject({ available: (80n * ED).toString(), inFlight: (10n * ED).toString() });
    expect(after.body.withdrawals.map((w) => w.id)).toEqual([first.body.id]);
    // Another account sees only its own.
    expect((await call<WithdrawalsResponse>('other', 'GET', '/me/withdrawals')).body.withdrawals).toEqual([]);
  });

  it('refuses, as JSON 4xx and without moving money, what cannot be a withdrawal', async () => {
    const ledger = new Ledger(handle.db);
    const before = await ledger.balance(viewerAccount(idOf(pairs.viewer.address)));
    const ok = { amount: (2n * ED).toString(), destination: pairs.viewer.address, requestId: randomUUID() };
    const cases: [keyof typeof pairs | null, unknown, number][] = [
      [null, ok, 401],
      ['viewer', { ...ok, amount: (FEE + ED - 1n).toString() }, 400],
      ['viewer', { ...ok, amount: '-5' }, 400],
      ['viewer', { ...ok, amount: '1e30' }, 400],
      ['viewer', { ...ok, destination: '0x' + 'ab'.repeat(32) }, 400],
      ['viewer', { ...ok, destination: 'nope' }, 400],
      ['viewer', { ...ok, requestId: 'x' }, 400],
      ['viewer', { ...ok, extra: true }, 400],
      ['viewer', { ...ok, amount: (1000n * ED).toString() }, 402],
      ['other', ok, 402],
    ];
    for (const [who, body, status] of cases) {
      const r = await call<{ error: { code: string; message: string } }>(who, 'POST', '/me/withdrawals', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(typeof r.body.error.message).toBe('string');
    }
    expect(await ledger.balance(viewerAccount(idOf(pairs.viewer.address)))).toBe(before);
  });

  it('bounds the withdrawals one account has on their way', async () => {
    const send = () => call('viewer', 'POST', '/me/withdrawals', { amount: (2n * ED).toString(), destination: pairs.viewer.address, requestId: randomUUID() });
    // One is already on its way from the test before.
    expect((await send()).status).toBe(201);
    expect((await send()).status).toBe(201);
    const refused = await call<{ error: { code: string } }>('viewer', 'POST', '/me/withdrawals', { amount: (2n * ED).toString(), destination: pairs.viewer.address, requestId: randomUUID() });
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
  });

  it('lets only admins withdraw the platform fee, only to the configured treasury, and no more than it holds', async () => {
    const ledger = new Ledger(handle.db);
    const fee = await ledger.balance(PLATFORM_ACCOUNT);
    expect((await call('viewer', 'GET', '/admin/withdrawals')).status).toBe(403);
    expect((await call('viewer', 'POST', '/admin/withdrawals', { amount: fee.toString(), requestId: randomUUID() })).status).toBe(403);
    // The destination is configuration: a request naming one is refused outright.
    expect((await call('admin', 'POST', '/admin/withdrawals', { amount: fee.toString(), requestId: randomUUID(), destination: pairs.admin.address })).status).toBe(400);
    expect((await call('admin', 'POST', '/admin/withdrawals', { amount: (fee + 1n).toString(), requestId: randomUUID() })).status).toBe(402);
    const r = await call<WithdrawalView>('admin', 'POST', '/admin/withdrawals', { amount: fee.toString(), requestId: randomUUID() });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ destination: treasury, requested: fee.toString(), fee: '0', sent: fee.toString() });
    const list = await call<WithdrawalsResponse>('admin', 'GET', '/admin/withdrawals');
    expect(list.body).toMatchObject({ available: '0', inFlight: fee.toString(), treasuryAddress: treasury });
    const noTreasury = await serve({ ss58Prefix: 42, adminAccounts: [pairs.admin.address], treasuryAddress: undefined });
    const res = await noTreasury.call(await noTreasury.signIn(pairs.admin), 'POST', '/admin/withdrawals', { amount: '1', requestId: randomUUID() });
    expect(res.status).toBe(409);
    expect(await auditLedger(handle.db)).toEqual([]);
  });
});
