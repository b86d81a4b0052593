// The community side end to end in real Chromium on the embedded platform: a creator names
// themselves and goes live with a category and tags; a follower with the site open is told at
// once; a viewer finds the stream by searching with a typo, follows, chats with a mention,
// tips from their balance (shown in chat and on the creator's dashboard, settled once in the
// ledger), and is timed out by a moderator the creator appointed, after which the server
// refuses their messages and their chat says why.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@vilokanam/signaling';
import { creatorAccount, Ledger, saveChainProperties, viewerAccount } from '@vilokanam/settlement';
import { launchChromium, mediaContext, startWebPlatform } from '@vilokanam/testkit/web';
import { waitFor } from '@vilokanam/testkit';

const TITLE = 'Midnight Jazz Session';
const TIP = 500_000_000_000n; // 0.5 ROC at 12 decimals
const BALANCE = 10_000_000_000_000n;

let platform: Platform;
let browser: Browser;
let streamId: string;
const people: Record<'creator' | 'follower' | 'viewer' | 'moderator', { context: BrowserContext; page: Page; id: string }> = {} as never;

async function signIn(context: BrowserContext): Promise<{ context: BrowserContext; page: Page; id: string }> {
  const page = await context.newPage();
  await page.goto('/signin?next=%2F');
  await page.getByTestId('signin-dev-wallet').click();
  await page.getByTestId('account-address').waitFor({ timeout: 20_000 });
  const cookie = (await context.cookies()).find((c) => c.name === 'vilo_session');
  const account = await platform.accountFromCookieHeader(`vilo_session=${cookie!.value}`);
  return { context, page, id: account!.id };
}

async function nameProfile(page: Page, handle: string, name: string): Promise<void> {
  await page.goto('/settings/profile');
  await page.getByTestId('profile-handle').fill(handle);
  await page.getByTestId('profile-name').fill(name);
  await page.getByTestId('profile-save').click();
  await page.getByTestId('profile-saved').waitFor();
}

async function openChat(page: Page): Promise<void> {
  await waitFor('chat to be ready', () => page.getByTestId('chat').getAttribute('data-state'), { until: (s) => s === 'ready', timeoutMs: 20_000 });
}

const messageTexts = (page: Page) => page.getByTestId('chat-text').allTextContents();

beforeAll(async () => {
  platform = await startWebPlatform({ VILO_LOG_LEVEL: 'warn' });
  await saveChainProperties(platform.db, { genesisHash: `0x${'22'.repeat(32)}`, specName: 'statemine', tokenSymbol: 'ROC', tokenDecimals: 12, ss58Prefix: 42, existentialDeposit: 10n ** 9n, withdrawalFee: 10n ** 7n });
  browser = await launchChromium();
  people.creator = await signIn(await mediaContext(browser, platform.url));
  people.follower = await signIn(await browser.newContext({ baseURL: platform.url }));
  people.viewer = await signIn(await browser.newContext({ baseURL: platform.url }));
  people.moderator = await signIn(await browser.newContext({ baseURL: platform.url }));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
}, 60_000);

describe('community in the browser', () => {
  it('lets a creator take a handle, appoint a moderator, and a follower follow before the stream', async () => {
    await nameProfile(people.creator.page, 'jazzcat', 'Jazz Cat');
    await nameProfile(people.viewer.page, 'nightowl', 'Night Owl');
    await nameProfile(people.moderator.page, 'keeper', 'Keeper');
    const creator = people.creator.page;
    await creator.getByTestId('mod-handle').fill('keeper');
    await creator.getByTestId('mod-add').click();
    await waitFor('the moderator listed', () => creator.getByTestId('moderator-item').count(), { until: (n) => n === 1 });
    expect(await creator.getByTestId('moderator-item').getAttribute('data-account-id')).toBe(people.moderator.id);

    const follower = people.follower.page;
    await follower.goto('/c/jazzcat');
    await follower.getByTestId('creator-offline').waitFor();
    await follower.getByTestId('follow-button').click();
    await waitFor('followed', () => follower.getByTestId('follow-button').getAttribute('aria-pressed'), { until: (v) => v === 'true' });
    await follower.goto('/');
  });

  it('takes the creator live with a category and tags, and tells the follower at once', async () => {
    const studio = people.creator.page;
    await studio.goto('/studio');
    await studio.getByTestId('title-input').fill(TITLE);
    await studio.getByTestId('category-input').selectOption('music');
    await studio.getByTestId('tags-input').fill('piano, late night');
    await studio.getByTestId('create-stream').click();
    await studio.getByTestId('go-live').click();
    await waitFor('the studio to be live', () => studio.getByTestId('studio-state').textContent(), { until: (s) => s === 'live', timeoutMs: 30_000 });
    streamId = (await studio.getByTestId('watch-link').getAttribute('href'))!.split('/').pop()!;
    const stored = (await platform.store.get(streamId))!;
    expect(stored.category).toBe('music');
    expect(stored.tags).toEqual(expect.arrayContaining(['piano', 'late', 'night']));

    // The follower's page was open: the bell counts the go-live without a reload.
    const follower = people.follower.page;
    await waitFor('the go-live notification', () => follower.getByTestId('notification-count').getAttribute('data-count'), { until: (n) => Number(n) >= 1, timeoutMs: 15_000 });
    await follower.getByTestId('notification-bell').click();
    const item = follower.getByTestId('notification-item').first();
    expect(await item.getAttribute('data-stream-id')).toBe(streamId);
    expect(await item.textContent()).toContain(TITLE);
  });

  it('lets a viewer find the stream by a misspelled search, follow the creator and chat', async () => {
    const page = people.viewer.page;
    await page.goto('/');
    await page.getByTestId('search-input').fill('midnigth jaz');
    await page.getByTestId('search-input').press('Enter');
    const card = page.locator(`[data-testid="stream-card"][data-stream-id="${streamId}"]`);
    await card.waitFor({ timeout: 15_000 });
    await card.getByRole('link', { name: TITLE }).click();
    await page.waitForURL(`**/watch/${streamId}`);
    await page.getByTestId('follow-button').click();
    await waitFor('followed', () => page.getByTestId('follow-button').getAttribute('aria-pressed'), { until: (v) => v === 'true' });
    const follows = await platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM follows WHERE creator = $1', [people.creator.id]);
    expect(follows[0]!.n).toBe(2);

    await openChat(page);
    await page.getByTestId('chat-input').fill('hello @jazzcat, lovely set');
    await page.getByTestId('chat-send').click();
    await waitFor('own message shown', () => messageTexts(page), { until: (t) => t.includes('hello @jazzcat, lovely set') });

    // The creator watches their own chat: the mention is highlighted for them.
    const creator = people.creator.page;
    await creator.goto(`/watch/${streamId}`);
    await openChat(creator);
    const mention = creator.locator('[data-testid="chat-message"][data-mentions-me="true"]');
    await mention.waitFor({ timeout: 10_000 });
    expect(await mention.getAttribute('data-author-id')).toBe(people.viewer.id);
  });

  it('sends a tip that shows in chat and on the creator’s dashboard, settled once', async () => {
    await new Ledger(platform.db).creditDeposit({ chainId: 'e2e-social:1', account: people.viewer.id, amount: BALANCE });
    const page = people.viewer.page;
    await page.getByTestId('tip-toggle').click();
    await page.getByTestId('tip-amount').fill('0.5');
    await page.getByTestId('tip-message').fill('for the encore');
    await page.getByTestId('tip-review').click();
    await page.getByTestId('tip-send').click();
    await page.getByTestId('tip-sent').waitFor({ timeout: 10_000 });

    const creator = people.creator.page;
    const tipLine = creator.locator('[data-testid="chat-message"]', { has: creator.getByTestId('chat-tip') });
    await tipLine.waitFor({ timeout: 10_000 });
    expect(await tipLine.getByTestId('chat-text').textContent()).toContain('for the encore');
    expect(await tipLine.getByTestId('chat-tip').locator('[data-planck]').getAttribute('data-planck')).toBe(TIP.toString());

    const ledger = new Ledger(platform.db);
    expect(await ledger.balance(viewerAccount(people.viewer.id))).toBe(BALANCE - TIP);
    expect(await ledger.balance(creatorAccount(people.creator.id))).toBe((TIP * 90n) / 100n);
    const tips = await platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tips WHERE viewer = $1', [people.viewer.id]);
    expect(tips[0]!.n).toBe(1);

    await creator.goto('/dashboard');
    const row = creator.getByTestId('tip-row').first();
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('for the encore');
  });

  it('lets the moderator time the viewer out; the server then refuses them and their chat says why', async () => {
    const mod = people.moderator.page;
    await mod.goto(`/watch/${streamId}`);
    await openChat(mod);
    expect(await mod.getByTestId('chat').getAttribute('data-role')).toBe('moderator');
    const line = mod.locator(`[data-testid="chat-message"][data-author-id="${people.viewer.id}"]`).first();
    await line.waitFor();
    await line.hover();
    await line.getByTestId('mod-menu').click();
    await line.getByTestId('mod-timeout-600').click();

    const viewer = people.viewer.page;
    const notice = viewer.getByTestId('chat-restriction');
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.getAttribute('data-reason')).toBe('timed_out');
    expect(await viewer.getByTestId('chat-send').isDisabled()).toBe(true);
    // Their earlier messages went with them, for everyone.
    await waitFor('the viewer’s messages removed for the moderator', () => mod.locator(`[data-testid="chat-message"][data-author-id="${people.viewer.id}"]`).count(), { until: (n) => n === 0 });
    const restrictions = await platform.db.query<{ until: Date }>('SELECT until FROM chat_restrictions WHERE account = $1', [people.viewer.id]);
    expect(restrictions).toHaveLength(1);
    const log = await platform.db.query<{ action: string }>('SELECT action FROM moderation_log WHERE target = $1', [people.viewer.id]);
    expect(log.map((r) => r.action)).toContain('timeout');
  });
});
