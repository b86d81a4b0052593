// The wallet, creator dashboard and admin pages in real headless Chromium against the real
// embedded platform. The account signs in with the dev wallet (its phrase seeded, so the test
// knows its id), and money is put in the ledger through settlement's own Ledger and PayoutBook.
import { randomBytes, randomUUID } from 'node:crypto';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, encodeAddress, mnemonicGenerate, mnemonicToMiniSecret, sr25519PairFromSeed } from '@polkadot/util-crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depositMemo, verifyInclusion } from '@vilokanam/chain';
import { Ledger, PayoutBook, saveChainProperties, type WindowUsage } from '@vilokanam/settlement';
import { chainMerkleRoot } from '@vilokanam/settlement/chain';
import type { Platform } from '@vilokanam/signaling';
import { launchChromium } from '@vilokanam/testkit/web';
import { startWebPlatform } from '@vilokanam/testkit/web';
import { createTestAccount } from '@vilokanam/testkit/clients';

const DEV_WALLET_STORAGE_KEY = 'vilo.devWallet.v1';
const hash = () => `0x${randomBytes(32).toString('hex')}`;

let platform: Platform;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let ledger: Ledger;
let book: PayoutBook;
let streamId: string;
const mnemonic = mnemonicGenerate(12);
let address: string;
let id: string;
const escrow = encodeAddress(randomBytes(32), 0);
const session = randomUUID();
let nextWindow = 0;

/** Settles `n` more 10-second windows of the account watching its own stream at 100 planck/s. */
async function watch(n: number): Promise<void> {
  const ws: WindowUsage[] = [];
  for (let i = 0; i < n; i++) ws.push({ sessionId: session, window: nextWindow++, seconds: 10, pricePerSecond: 100n, viewer: id, creator: id, stream: streamId });
  await ledger.settleWindows(ws);
}

beforeAll(async () => {
  await cryptoWaitReady();
  const pair = sr25519PairFromSeed(mnemonicToMiniSecret(mnemonic));
  address = encodeAddress(pair.publicKey, 42);
  id = u8aToHex(pair.publicKey);
  const money = { VILO_ESCROW_ADDRESS: escrow, VILO_ADMIN_ACCOUNTS: address };
  platform = await startWebPlatform(money);
  // What settlement records when it connects to a chain: these pages read amounts in its token.
  await saveChainProperties(platform.db, { genesisHash: hash(), specName: 'statemine', tokenSymbol: 'ROC', tokenDecimals: 12, ss58Prefix: 42, existentialDeposit: 10n ** 9n });
  ledger = new Ledger(platform.db);
  book = new PayoutBook(platform.db, { computeRoot: chainMerkleRoot });
  streamId = (await platform.store.create({ title: 'E2E jazz', category: 'music', creatorId: await createTestAccount(platform.db) }))!.stream.id;
  browser = await launchChromium();
  context = await browser.newContext({ baseURL: platform.url });
  // The dev wallet's phrase, as if this browser had created it before.
  await context.addInitScript(([key, value]) => localStorage.setItem(key!, value!), [DEV_WALLET_STORAGE_KEY, JSON.stringify({ mnemonic, address })]);
  page = await context.newPage();
}, 90_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await platform?.close();
});

describe('money pages', () => {
  it('asks for sign-in, then shows the wallet: balance, deposit memo with QR code, history', async () => {
    await page.goto('/wallet');
    const prompt = page.getByTestId('signin-prompt');
    await prompt.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL('**/signin?next=%2Fwallet');
    await page.getByTestId('signin-dev-wallet').click();
    await page.waitForURL((url) => url.pathname === '/wallet', { timeout: 20_000 });
    expect(await page.getByTestId('account-address').getAttribute('title')).toBe(address);

    await expect.poll(() => page.getByTestId('wallet-balance').textContent(), { timeout: 15_000 }).toBe('0 ROC');
    expect(await page.getByTestId('deposit-memo').textContent()).toBe(depositMemo(id));
    expect(await page.getByTestId('escrow-address').textContent()).toBe(escrow);
    const qr = page.getByTestId('deposit-qr');
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,/);
    await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), { timeout: 15_000 }).toBe(true);

    await ledger.creditDeposit({ chainId: `${hash()}:1`, account: id, amount: 5_000_000_000_000n });
    await watch(3);
    await page.reload();
    const balance = page.getByTestId('wallet-balance');
    await expect.poll(() => balance.textContent(), { timeout: 15_000 }).toBe('4.9999 ROC');
    // Cut, not rounded up; the exact planck is in the tooltip.
    expect(await balance.getAttribute('title')).toBe('4,999,999,997,000 planck');
    expect(await balance.getAttribute('data-planck')).toBe('4999999997000');
    const rows = page.getByTestId('wallet-history').locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toContain('−0.000000003 ROC');
    expect(await rows.nth(1).textContent()).toContain('+5 ROC');
  });

  it('shows the creator dashboard live: totals, streams, the chart, payouts with proofs that verify', async () => {
    const batch = await book.createBatch({ idempotencyKey: 'e2e-1', batchId: 'e2e-batch-1' });
    expect(batch.status).toBe('created');
    const inclusion = { extrinsicHash: hash(), blockHash: hash(), blockNumber: 77 };
    await book.markSubmitted('e2e-batch-1', inclusion.extrinsicHash);
    await book.markFinalized('e2e-batch-1', inclusion);
    await watch(1);

    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.waitForURL((url) => url.pathname === '/dashboard');
    await expect.poll(() => page.getByTestId('earned-total').textContent(), { timeout: 15_000 }).toBe('0.0000000036 ROC');
    expect(await page.getByTestId('total-paid').getAttribute('data-planck')).toBe('2700');
    expect(await page.getByTestId('total-payout').textContent()).toBe('0 ROC');
    expect(await page.getByTestId('total-pending').textContent()).toBe('0.0000000009 ROC');
    expect(await page.getByTestId('stream-earnings').textContent()).toContain('E2E jazz');
    const bars = await page.getByTestId('time-chart').locator('rect.bar').evaluateAll((rs) => rs.filter((r) => Number(r.getAttribute('height')) > 0).length);
    expect(bars).toBeGreaterThan(0);

    const payout = page.getByTestId('payouts').locator('tbody tr');
    expect(await payout.count()).toBe(1);
    expect(await payout.textContent()).toContain('finalized');
    const href = await payout.getByRole('link', { name: 'Download' }).getAttribute('href');
    const bundle = await (await page.request.get(href!)).json();
    expect(bundle).toMatchObject({ batchId: 'e2e-batch-1', status: 'finalized', blockHash: inclusion.blockHash, total: 3 });
    for (const proof of bundle.proofs) expect(await verifyInclusion(proof)).toMatchObject({ ok: true });

    // Polling: a window settled while the page is open shows up without a reload.
    await watch(1);
    await expect.poll(() => page.getByTestId('earned-total').getAttribute('data-planck'), { timeout: 15_000 }).toBe('4500');
    expect(await page.getByTestId('total-pending').getAttribute('data-planck')).toBe('1800');
    // The chart's axis labels are in tokens and drawn whole, inside the chart.
    const labels = await page.getByTestId('time-chart').getByTestId('axis-label').evaluateAll((els) =>
      els.map((e) => ({ text: e.textContent, x: (e as SVGTextElement).getBBox().x })),
    );
    expect(labels.at(-1)!.text).toBe('0');
    for (const l of labels) expect(l.text).toMatch(/^0(\.0{8}[1-9][0-9]*)?$/);
    for (const l of labels) expect(l.x, l.text ?? '').toBeGreaterThanOrEqual(0);
  });

  it('shows an admin the reconciler verdict, its checks and the payout batches', async () => {
    await platform.db.query(
      `INSERT INTO reconciler_runs (started_at, finished_at, clean, escrow_chain, escrow_ledger, report)
       VALUES (now(), now(), false, 5000000, 4997300, $1::jsonb)`,
      [JSON.stringify({ checks: [{ name: 'escrow balance', ok: false, expected: '4997300', actual: '5000000' }, { name: 'ledger audit', ok: true }] })],
    );
    await page.goto('/admin');
    await expect.poll(() => page.getByTestId('reconciler-verdict').textContent(), { timeout: 15_000 }).toContain('NOT CLEAN');
    const checks = await page.getByTestId('reconciler-checks').textContent();
    expect(checks).toContain('escrow balance');
    expect(checks).toContain('expected 0.00000499 ROC (4,997,300 planck), actual 0.000005 ROC (5,000,000 planck)');
    expect(await page.getByTestId('payout-counts').textContent()).toContain('finalized: 1');
  });
});
