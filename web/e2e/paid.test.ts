// Pay-per-second end to end in real Chromium on the embedded platform with its dev chain
// (chopsticks, Asset Hub runtime): a creator signs in and prices a stream; a viewer signs in,
// deposits through a real on-chain transfer with memo, sees the price before pressing Watch,
// watches for a while, and the creator's dashboard shows exactly what the ledger settled for
// those seconds. A viewer without balance is sent to top up.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@vilokanam/signaling';
import { creatorAccount, viewerAccount } from '@vilokanam/settlement';
import { devSigner } from '@vilokanam/chain';
import { fillPrice, injectTestExtension, launchChromium, mediaContext, tabTo, TEST_EXTENSION, type SignRequest } from '@vilokanam/testkit/web';

import { startWebPlatform } from '@vilokanam/testkit/web';
import { waitFor } from '@vilokanam/testkit';


const PRICE = 2_000_000_000n;
const WATCH_SECONDS = 8;

let platform: Platform;
let browser: Browser;
let streamId: string;
let creatorPage: Page;
let creatorId: string;
let viewerContext: BrowserContext;
let viewerId: string;

async function signIn(context: BrowserContext): Promise<{ page: Page; accountId: string }> {
  const page = await context.newPage();
  await page.goto('/signin?next=%2F');
  await page.getByTestId('signin-dev-wallet').click();
  await page.getByTestId('account-address').waitFor({ timeout: 20_000 });
  const cookie = (await context.cookies()).find((c) => c.name === 'vilo_session');
  const account = await platform.accountFromCookieHeader(`vilo_session=${cookie!.value}`);
  return { page, accountId: account!.id };
}

/** An amount as the page holds it exactly (the text shows tokens; data-planck the exact figure). */
const planckText = async (page: Page, testid: string) => BigInt((await page.getByTestId(testid).getAttribute('data-planck')) ?? '0');

beforeAll(async () => {
  platform = await startWebPlatform({
    VILO_DEVCHAIN: '1',
    VILO_SETTLEMENT_WINDOW_SECONDS: '2',
    VILO_SETTLEMENT_GRACE_SECONDS: '1',
    VILO_SETTLEMENT_INTERVAL_MS: '250',
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
}, 60_000);

describe('paying per second in the browser', () => {
  it('lets a signed-in creator price a stream and go live', async () => {
    const creator = await signIn(await mediaContext(browser, platform.url));
    creatorPage = creator.page;
    creatorId = creator.accountId;
    await creatorPage.goto('/studio');
    await creatorPage.getByTestId('title-input').fill('Paid jazz');
    await creatorPage.getByTestId('category-input').selectOption('music');
    // 2,000,000,000 planck a second is 7.2 ROC an hour; the form shows what a second costs.
    await fillPrice(creatorPage, PRICE);
    expect(await creatorPage.getByTestId('price-preview').textContent()).toContain('0.002 ROC a second: 0.12 ROC a minute, 7.2 ROC an hour.');
    await creatorPage.getByTestId('create-stream').click();
    await creatorPage.getByTestId('go-live').click();
    await waitFor('the studio to be live', () => creatorPage.getByTestId('studio-state').textContent(), { until: (s) => s === 'live', timeoutMs: 30_000 });
    streamId = (await creatorPage.getByTestId('watch-link').getAttribute('href'))!.split('/').pop()!;
    expect((await platform.store.get(streamId))!).toMatchObject({ creatorId, pricePerSecond: PRICE });
  });

  it('sends a viewer without balance to the wallet, where a browser wallet extension deposits in one click', { timeout: 150_000 }, async () => {
    // The viewer's own wallet: an extension holding //Charlie, funded on the dev chain.
    const api = platform.settlement!.service.api!;
    const charlie = await devSigner('//Charlie');
    const requests: SignRequest[] = [];
    let refuseNext = false;
    viewerContext = await mediaContext(browser, platform.url);
    await injectTestExtension(viewerContext, { api, accounts: [{ pair: charlie, name: 'Charlie' }], requests, approve: () => !refuseNext });

    const page = await viewerContext.newPage();
    await page.goto('/signin?next=%2F');
    await page.getByRole('button', { name: `Connect ${TEST_EXTENSION}` }).click();
    await page.getByRole('button', { name: /Charlie/ }).click();
    await page.getByTestId('account-address').waitFor({ timeout: 20_000 });
    const cookie = (await viewerContext.cookies()).find((c) => c.name === 'vilo_session');
    viewerId = (await platform.accountFromCookieHeader(`vilo_session=${cookie!.value}`))!.id;
    expect(viewerId).toBe(api.createType('AccountId', charlie.address).toHex());

    await page.goto(`/watch/${streamId}`);
    const price = page.getByTestId('price');
    await expect.poll(() => price.textContent(), { timeout: 20_000 }).toContain('0.12 ROC a minute');
    expect(await price.textContent()).toContain('7.2 ROC an hour, 0.002 ROC a second');
    expect(await price.getAttribute('data-planck')).toBe(PRICE.toString());
    await page.getByTestId('watch-button').click();
    const remedy = page.getByTestId('remedy');
    await remedy.waitFor({ timeout: 20_000 });
    expect(await remedy.getAttribute('href')).toBe('/wallet');
    await remedy.click();

    const freeBefore = BigInt(((await api.query.system!.account!(charlie.address)) as unknown as { data: { free: { toString(): string } } }).data.free.toString());
    // From the keyboard alone, as the accessibility plan promises for deposits.
    await tabTo(page, 'connect-wallet');
    await page.keyboard.press('Enter');
    await page.getByTestId('deposit-amount').waitFor();
    await tabTo(page, 'deposit-amount');
    await page.keyboard.type('10');
    await page.keyboard.press('Enter');
    const fee = BigInt((await page.getByTestId('deposit-fee').getAttribute('data-planck', { timeout: 30_000 }))!);
    expect(fee).toBeGreaterThan(0n);
    // The person cancels in the wallet the first time: nothing is sent, and the page says so.
    refuseNext = true;
    await page.getByTestId('deposit-confirm').click();
    await expect.poll(() => page.getByTestId('deposit-error').textContent(), { timeout: 15_000 }).toBe('You cancelled the deposit in your wallet. Nothing was sent.');
    refuseNext = false;
    await tabTo(page, 'deposit-confirm');
    await page.keyboard.press('Enter');
    await page.getByTestId('deposit-credited').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('deposit-progress').getAttribute('data-stage')).toBe('credited');
    expect(requests.map((r) => r.kind)).toEqual(['raw', 'payload', 'payload']);

    const deposited = 10n * 10n ** 12n;
    const ledgerBalance = await platform.settlement!.service.ledger.balance(viewerAccount(viewerId));
    expect(ledgerBalance).toBe(deposited);
    await expect.poll(() => page.getByTestId('wallet-balance').getAttribute('data-planck'), { timeout: 15_000 }).toBe(deposited.toString());
    expect(await page.getByTestId('wallet-balance').textContent()).toBe('10 ROC');
    // What left the account is the amount plus exactly the fee the page showed before confirming.
    const freeAfter = BigInt(((await api.query.system!.account!(charlie.address)) as unknown as { data: { free: { toString(): string } } }).data.free.toString());
    expect(freeBefore - freeAfter).toBe(deposited + fee);
    await page.close();
  });

  it('meters the seconds watched, and the creator dashboard shows what the ledger settled for them', { timeout: 120_000 }, async () => {
    const page = await viewerContext.newPage();
    await page.goto(`/watch/${streamId}`);
    await page.getByTestId('watch-button').click();
    const meter = page.getByTestId('meter');
    const seconds = await waitFor('seconds on the meter', async () => Number((await meter.getAttribute('data-seconds')) ?? 0), { until: (s) => s >= WATCH_SECONDS, timeoutMs: 60_000 });
    expect(BigInt((await meter.getAttribute('data-amount'))!)).toBe(PRICE * BigInt(seconds));
    await page.close();

    // Every watched second settles: the viewer's spend is whole seconds at the fixed price.
    const ledger = platform.settlement!.service.ledger;
    const settle = async () => {
      const rows = await platform.db.query<{ seconds: string; gross: string; share: string }>(
        `SELECT coalesce(sum(billed_seconds), 0)::text AS seconds, coalesce(sum(amount), 0)::text AS gross,
                coalesce(sum(creator_amount), 0)::text AS share FROM settled_windows WHERE stream = $1`,
        [streamId],
      );
      return { seconds: Number(rows[0]!.seconds), gross: BigInt(rows[0]!.gross), share: BigInt(rows[0]!.share) };
    };
    // Closing the tab ends the metering; its last window closes after W + grace, and then the
    // worker folds it in and clears it from the tick store.
    await new Promise((r) => setTimeout(r, 3500));
    await waitFor('every window to be settled', () => platform.ticks!.indexedWindows(), { until: (n) => n === 0, timeoutMs: 30_000 });
    const settled = await settle();
    const { seconds: billed, gross, share } = settled;
    console.log(`[paid] meter ${seconds} s, settled ${billed} s, orphans ${platform.ticks!.orphans().length}`);
    expect(Math.abs(billed - seconds)).toBeLessThanOrEqual(2);
    expect(gross).toBe(PRICE * BigInt(billed));
    expect(10n ** 13n - (await ledger.balance(viewerAccount(viewerId)))).toBe(gross);
    const earnings = await ledger.earnings(creatorId);
    // 90% to the creator, rounded down per window; the platform takes the rest.
    expect(earnings.earned).toBe(share);
    expect(share).toBe((gross * 9n) / 10n);
    expect(await ledger.balance(creatorAccount(creatorId))).toBeLessThanOrEqual(earnings.earned);

    // The studio keeps publishing in its own tab; the dashboard opens beside it.
    const dashboard = await creatorPage.context().newPage();
    await dashboard.goto('/dashboard');
    const shown = await waitFor('the dashboard total', () => planckText(dashboard, 'earned-total'), { until: (v) => v === earnings.earned, timeoutMs: 20_000 });
    expect(shown).toBe(earnings.earned);
    expect(await dashboard.getByTestId('earned-total').textContent()).toMatch(/^0\.\d+ ROC$/);
    const row = dashboard.getByTestId('stream-earnings').locator('tr', { hasText: 'Paid jazz' });
    const cells = await row.locator('[data-planck]').evaluateAll((els) => els.map((e) => e.getAttribute('data-planck')));
    expect(cells).toContain(earnings.earned.toString());
  });

  it('withdraws what is left to the wallet: the fee shown first, paid once on chain, exact in the ledger, and the books reconcile', { timeout: 120_000 }, async () => {
    const api = platform.settlement!.service.api!;
    const ledger = platform.settlement!.service.ledger;
    const charlie = await devSigner('//Charlie');
    const free = async () => BigInt(((await api.query.system!.account!(charlie.address)) as unknown as { data: { free: { toString(): string } } }).data.free.toString());
    const left = await ledger.balance(viewerAccount(viewerId));
    const platformBefore = await ledger.balance('platform');
    const freeBefore = await free();

    const page = await viewerContext.newPage();
    await page.goto('/wallet');
    const panel = page.getByTestId('withdraw-me');
    await expect.poll(() => panel.getByTestId('withdraw-available').getAttribute('data-planck'), { timeout: 15_000 }).toBe(left.toString());
    expect(await panel.getByTestId('withdraw-destination').inputValue()).toBe(charlie.address);
    await panel.getByRole('button', { name: 'All' }).click();
    await panel.getByTestId('withdraw-review').click();
    const fee = BigInt((await panel.getByTestId('withdraw-fee').getAttribute('data-planck'))!);
    const arrives = BigInt((await panel.getByTestId('withdraw-arrives').getAttribute('data-planck'))!);
    expect(fee).toBeGreaterThan(0n);
    expect(arrives).toBe(left - fee);
    await panel.getByTestId('withdraw-confirm').click();
    await panel.locator('[data-testid="withdrawals"] li[data-status="finalized"]').waitFor({ timeout: 60_000 });

    // Exactly what the page said arrives arrived, once; the ledger is empty and the platform kept the fee.
    expect((await free()) - freeBefore).toBe(arrives);
    expect(await ledger.balance(viewerAccount(viewerId))).toBe(0n);
    expect((await ledger.balance('platform')) - platformBefore).toBe(fee);
    await expect.poll(() => panel.getByTestId('withdraw-available').getAttribute('data-planck'), { timeout: 15_000 }).toBe('0');
    // Every outflow of escrow is explained: the reconciler is clean once crediting has passed the block.
    await expect.poll(async () => (await platform.settlement!.service.reconcile()).checks.filter((c) => !c.ok).map((c) => c.name), { timeout: 30_000, interval: 1_000 }).toEqual([]);
    await page.close();
  });

  it('stops a viewer whose balance runs low mid-stream, bills every second watched, and links to a top-up', async () => {
    const context = await mediaContext(browser, platform.url);
    const { page, accountId } = await signIn(context);
    // The reserve (W 2 s + grace 1 s + one pass + 2 s = 6 s) is needed to start; 12 s lasts a little longer.
    const covered = 12n;
    await platform.settlement!.devDeposit(accountId, PRICE * covered);
    const ledger = platform.settlement!.service.ledger;
    await waitFor('the small deposit to be credited', () => ledger.balance(viewerAccount(accountId)), { until: (b) => b === PRICE * covered, timeoutMs: 60_000 });

    await page.goto(`/watch/${streamId}`);
    await page.getByTestId('watch-button').click();
    const meter = page.getByTestId('meter');
    await meter.waitFor({ timeout: 20_000 });
    // Settlement stops the account while its balance still covers what is on its way; signaling
    // pauses the media and says so.
    const remedy = page.getByTestId('remedy');
    await remedy.waitFor({ timeout: 60_000 });
    expect(await remedy.getAttribute('href')).toBe('/wallet');
    expect(await page.getByTestId('stream-state').textContent()).toBe('error');
    const watched = Number(await meter.getAttribute('data-seconds'));
    await context.close();
    await new Promise((r) => setTimeout(r, 3500));
    await waitFor('every window to be settled', () => platform.ticks!.indexedWindows(), { until: (n) => n === 0, timeoutMs: 30_000 });
    const [row] = await platform.db.query<{ billed: string; seconds: string }>(
      'SELECT sum(billed_seconds)::text AS billed, sum(seconds)::text AS seconds FROM settled_windows WHERE viewer = $1',
      [accountId],
    );
    // Every second watched was billed: none was watched on credit, and they stopped in time.
    expect(row!.billed).toBe(row!.seconds);
    const billed = BigInt(row!.billed);
    expect(billed).toBeLessThanOrEqual(covered);
    expect(Math.abs(Number(billed) - watched)).toBeLessThanOrEqual(2);
    expect(await ledger.balance(viewerAccount(accountId))).toBe(PRICE * (covered - billed));
  }, 120_000);

  it('stops a viewer at the spending limit they set in the wallet, bills no more, and lists every second in the statement', { timeout: 120_000 }, async () => {
    const context = await mediaContext(browser, platform.url);
    const { page, accountId } = await signIn(context);
    const ledger = platform.settlement!.service.ledger;
    await platform.settlement!.devDeposit(accountId, 10n ** 12n);
    await waitFor('the deposit to be credited', () => ledger.balance(viewerAccount(accountId)), { until: (b) => b === 10n ** 12n, timeoutMs: 60_000 });

    // 12 seconds' worth on any one stream a day: 0.024 ROC.
    await page.goto('/wallet');
    await page.getByTestId('cap-stream').fill('0.024');
    await page.getByTestId('caps-save').click();
    await page.getByTestId('caps-saved').waitFor();

    await page.goto(`/watch/${streamId}`);
    const allowance = page.getByTestId('cap-allowance');
    await expect.poll(() => allowance.getAttribute('data-limit'), { timeout: 15_000 }).toBe('stream_cap');
    expect(await allowance.textContent()).toContain('spending limit allows about 12 s of this stream today');
    await page.getByTestId('watch-button').click();
    const remedy = page.getByTestId('remedy');
    await remedy.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('stream-state').textContent()).toBe('error');
    expect(await page.locator('.stage__overlay').textContent()).toContain('spending cap');
    await page.close();
    await new Promise((r) => setTimeout(r, 3500));
    await waitFor('every window to be settled', () => platform.ticks!.indexedWindows(), { until: (n) => n === 0, timeoutMs: 30_000 });
    const spent = 10n ** 12n - (await ledger.balance(viewerAccount(accountId)));
    expect(spent).toBeGreaterThan(0n);
    expect(spent).toBeLessThanOrEqual(PRICE * 12n);

    // The statement lists every billed second; its lines add up to the balance.
    const csv = await (await context.request.get('/api/v1/me/statement.csv')).text();
    const rows = csv.trimEnd().split('\r\n').slice(1).map((l) => l.split(','));
    const watched = rows.filter((r) => r[1] === 'watch');
    expect(watched.reduce((s, r) => s + Number(r[5]), 0)).toBe(Number(spent / PRICE));
    expect(rows.reduce((s, r) => s + BigInt(r[7]!), 0n)).toBe(await ledger.balance(viewerAccount(accountId)));
    await context.close();
  });
});
