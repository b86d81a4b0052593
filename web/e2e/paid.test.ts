// Pay-per-second end to end in real Chromium on the embedded platform with its dev chain
// (chopsticks, Asset Hub runtime): a creator signs in and prices a stream; a viewer signs in,
// deposits through a real on-chain transfer with memo, sees the price before pressing Watch,
// watches for a while, and the creator's dashboard shows exactly what the ledger settled for
// those seconds. A viewer without balance is sent to top up.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@vilokanam/signaling';
import { creatorAccount, viewerAccount } from '@vilokanam/settlement';
import { launchChromium, mediaContext } from '@vilokanam/testkit/web';

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

const planckText = async (page: Page, testid: string) => BigInt(((await page.getByTestId(testid).textContent()) ?? '').replace(/[^0-9]/g, '') || '0');

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
    await creatorPage.getByTestId('category-input').fill('Music');
    await creatorPage.getByTestId('price-input').fill(PRICE.toString());
    await creatorPage.getByTestId('create-stream').click();
    await creatorPage.getByTestId('go-live').click();
    await waitFor('the studio to be live', () => creatorPage.getByTestId('studio-state').textContent(), { until: (s) => s === 'live', timeoutMs: 30_000 });
    streamId = (await creatorPage.getByTestId('watch-link').getAttribute('href'))!.split('/').pop()!;
    expect((await platform.store.get(streamId))!).toMatchObject({ creatorId, pricePerSecond: PRICE });
  });

  it('sends a viewer without balance to the wallet, where a real deposit is credited once final', { timeout: 120_000 }, async () => {
    viewerContext = await mediaContext(browser, platform.url);
    const viewer = await signIn(viewerContext);
    viewerId = viewer.accountId;
    const page = viewer.page;
    await page.goto(`/watch/${streamId}`);
    expect(await page.getByTestId('price').textContent()).toContain('2,000,000,000 planck per second');
    await page.getByTestId('watch-button').click();
    const remedy = page.getByTestId('remedy');
    await remedy.waitFor({ timeout: 20_000 });
    expect(await remedy.getAttribute('href')).toBe('/wallet');

    await remedy.click();
    await page.getByTestId('faucet-deposit').click();
    await page.getByTestId('faucet-note').waitFor({ timeout: 30_000 });
    const balance = await waitFor('the deposit to be credited', () => planckText(page, 'wallet-balance'), { until: (b) => b > 0n, timeoutMs: 60_000 });
    expect(balance).toBe(10n ** 13n);
    expect(await platform.settlement!.service.ledger.balance(viewerAccount(viewerId))).toBe(balance);
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
    const row = dashboard.getByTestId('stream-earnings').locator('tr', { hasText: 'Paid jazz' });
    expect(((await row.textContent()) ?? '').replace(/[^0-9]/g, '')).toContain(earnings.earned.toString());
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
});
