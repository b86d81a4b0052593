// Every page of the site, as people use it: at phone widths (360, 390 and 414 px) nothing
// scrolls sideways and the header folds into a menu; at phone and desktop widths axe-core
// (run in Chromium) finds no serious or critical WCAG 2.1 A/AA violation; and the watch page
// works from the keyboard alone. Amounts read in the chain's token everywhere.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, encodeAddress, mnemonicGenerate, mnemonicToMiniSecret, sr25519PairFromSeed } from '@polkadot/util-crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, saveChainProperties } from '@vilokanam/settlement';
import type { Platform } from '@vilokanam/signaling';
import { focusVisible, goLive, launchChromium, mediaContext, startWebPlatform, tabTo } from '@vilokanam/testkit/web';
import { waitFor } from '@vilokanam/testkit';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const DEV_WALLET_STORAGE_KEY = 'vilo.devWallet.v1';
const PHONES = [360, 390, 414];

let platform: Platform;
let browser: Browser;
let studio: Page;
const mnemonic = mnemonicGenerate(12);
let address: string;
let pages: { name: string; path: string }[];

/** The signed-in session (cookie and dev wallet), made once: sign-ins are rate limited per address. */
let session: Awaited<ReturnType<BrowserContext['storageState']>> | undefined;

/** A signed-in browser (the dev wallet of `mnemonic`) at a given viewport; or a signed-out one. */
async function signedIn(viewport: { width: number; height: number }, phone: boolean, signIn = true): Promise<BrowserContext> {
  const options = { baseURL: platform.url, viewport, isMobile: phone, hasTouch: phone, deviceScaleFactor: phone ? 3 : 1 };
  if (!signIn) return browser.newContext(options);
  if (!session) {
    const context = await browser.newContext(options);
    await context.addInitScript(([key, value]) => localStorage.setItem(key!, value!), [DEV_WALLET_STORAGE_KEY, JSON.stringify({ mnemonic, address })]);
    const page = await context.newPage();
    await page.goto('/signin?next=%2Fwallet');
    await page.getByTestId('signin-dev-wallet').click();
    await page.waitForURL((url) => url.pathname === '/wallet', { timeout: 20_000 });
    session = await context.storageState();
    return context;
  }
  return browser.newContext({ ...options, storageState: session });
}

/** The page has loaded its data: no "Loading…" left, and the main heading is there. */
async function settle(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.locator('main h1').first().waitFor({ timeout: 20_000 });
  await waitFor(`${path} to finish loading`, () => page.locator('main').textContent(), { until: (t) => !/Loading…/.test(t ?? ''), timeoutMs: 20_000 });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

async function axe(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const run = (window as unknown as { axe: { run(ctx: Document, o: unknown): Promise<{ violations: AxeViolation[] }> } }).axe.run;
    const result = await run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

beforeAll(async () => {
  await cryptoWaitReady();
  const pair = sr25519PairFromSeed(mnemonicToMiniSecret(mnemonic));
  address = encodeAddress(pair.publicKey, 42);
  const id = u8aToHex(pair.publicKey);
  platform = await startWebPlatform({ VILO_ESCROW_ADDRESS: encodeAddress(randomBytes(32), 42), VILO_ADMIN_ACCOUNTS: address });
  await saveChainProperties(platform.db, { genesisHash: `0x${'22'.repeat(32)}`, specName: 'statemine', tokenSymbol: 'ROC', tokenDecimals: 12, ss58Prefix: 42, existentialDeposit: 10n ** 9n, withdrawalFee: 10n ** 7n });
  await new Ledger(platform.db).creditDeposit({ chainId: `0x${'33'.repeat(32)}:1`, account: id, amount: 12_345_600_000_000n });
  browser = await launchChromium();

  // A live stream, published from a desktop studio signed in as the same account.
  const studioContext = await mediaContext(browser, platform.url);
  await studioContext.addInitScript(([key, value]) => localStorage.setItem(key!, value!), [DEV_WALLET_STORAGE_KEY, JSON.stringify({ mnemonic, address })]);
  studio = await studioContext.newPage();
  const live = await goLive(studio, 'Late night synths', 30_000, { pricePerSecond: 1_000_000_000n });
  // A finished recording of it, and a clip, as the recorder leaves them (their media is not needed for layout).
  const recording = randomUUID();
  const clip = randomUUID();
  await platform.db.query(`INSERT INTO recordings (id, stream_id, status, ended_at, duration_ms, parts) VALUES ($1, $2, 'ready', now(), 64000, 1)`, [recording, live]);
  await platform.db.query(`INSERT INTO clips (id, recording_id, stream_id, title, start_ms, requested_ms, duration_ms, created_by) VALUES ($1, $2, $3, 'The drop', 1000, 10000, 10000, $4)`, [clip, recording, live, id]);
  // The creator's public profile, as the profile page saves it, so /c/<handle> has someone to show.
  await platform.db.query(`INSERT INTO profiles (account_id, handle, bio, links) VALUES ($1, 'latenight', 'Synths after dark.', ARRAY['https://example.org/latenight'])`, [id]);
  pages = [
    { name: 'home', path: '/' },
    { name: 'sign-in', path: '/signin' },
    { name: 'studio', path: '/studio' },
    { name: 'watch', path: `/watch/${live}` },
    { name: 'wallet', path: '/wallet' },
    { name: 'dashboard', path: '/dashboard' },
    { name: 'admin', path: '/admin' },
    { name: 'videos', path: `/videos/${address}` },
    { name: 'vod', path: `/vod/${recording}` },
    { name: 'clip', path: `/clip/${clip}` },
    { name: 'browse', path: '/browse' },
    { name: 'category', path: '/browse/music' },
    { name: 'search', path: '/search?q=synths' },
    { name: 'creator', path: '/c/latenight' },
    { name: 'profile settings', path: '/settings/profile' },
  ];
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
}, 60_000);

describe('on a phone', () => {
  it('fits every page at 360, 390 and 414 px wide: nothing scrolls sideways', { timeout: 180_000 }, async () => {
    const overflowing: string[] = [];
    for (const width of PHONES) {
      const context = await signedIn({ width, height: 800 }, true);
      const page = await context.newPage();
      for (const p of pages) {
        await settle(page, p.path);
        const { scroll, client, widest } = await page.evaluate(() => {
          const doc = document.documentElement;
          // The element sticking out furthest, to say what to fix.
          let widest = '';
          let right = doc.clientWidth;
          for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right > right + 0.5) {
              right = r.right;
              widest = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')} (${Math.round(r.right)} px)`;
            }
          }
          return { scroll: doc.scrollWidth, client: doc.clientWidth, widest };
        });
        if (scroll !== client) overflowing.push(`${p.name} at ${width}: scrollWidth ${scroll} vs ${client}; ${widest}`);
      }
      await context.close();
    }
    expect(overflowing).toEqual([]);
  });

  it('folds the header into a menu that opens, navigates and closes', async () => {
    const context = await signedIn({ width: 390, height: 800 }, true);
    const page = await context.newPage();
    await settle(page, '/');
    const toggle = page.getByTestId('menu-toggle');
    const wallet = page.getByRole('link', { name: 'Wallet' });
    expect(await toggle.isVisible()).toBe(true);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await wallet.isVisible()).toBe(false);
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await wallet.click();
    await page.waitForURL((url) => url.pathname === '/wallet');
    // Navigating closes it; so does Escape.
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    await page.keyboard.press('Escape');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await page.getByTestId('wallet-balance').waitFor();
    expect(await page.getByTestId('wallet-balance').textContent()).toBe('12.3456 ROC');
    await context.close();
  });
});

describe('accessibility', () => {
  it('has no serious or critical axe violation on any page, at phone and desktop widths, signed in or out', { timeout: 240_000 }, async () => {
    const found: string[] = [];
    for (const [viewport, phone, signIn] of [
      [{ width: 1280, height: 800 }, false, true],
      [{ width: 390, height: 844 }, true, true],
      [{ width: 390, height: 844 }, true, false],
    ] as const) {
      const context = await signedIn(viewport, phone, signIn);
      const page = await context.newPage();
      for (const p of pages) {
        await settle(page, p.path);
        for (const v of await axe(page)) found.push(`${p.name} at ${viewport.width}${signIn ? '' : ' signed out'}: ${v}`);
      }
      await context.close();
    }
    expect(found).toEqual([]);
  });

  it('lets a keyboard user reach Watch, start the stream and see its price in tokens', async () => {
    const context = await signedIn({ width: 1280, height: 800 }, false);
    const page = await context.newPage();
    const watchPath = pages.find((p) => p.name === 'watch')!.path;
    await settle(page, watchPath);
    expect(await page.getByTestId('price').textContent()).toContain('0.06 ROC a minute');
    await tabTo(page, 'watch-button');
    // The focused control is visibly marked.
    expect(await focusVisible(page)).toBe(true);
    await page.keyboard.press('Enter');
    const joinMs = await waitFor('the first frame', () => page.getByTestId('player').getAttribute('data-join-ms'), { until: (v) => v !== null, timeoutMs: 30_000 });
    expect(Number(joinMs)).toBeGreaterThan(0);
    await context.close();
  });

  it('lets a keyboard user create a stream and go live from the studio', async () => {
    const context = await signedIn({ width: 1280, height: 800 }, false);
    await context.grantPermissions(['camera', 'microphone']);
    const page = await context.newPage();
    await settle(page, '/studio');
    await tabTo(page, 'title-input');
    await page.keyboard.type('Typed live');
    // A focused select picks the option whose name is typed.
    await tabTo(page, 'category-input');
    await page.keyboard.type('Music');
    await tabTo(page, 'tags-input');
    await page.keyboard.type('synth, ambient');
    await tabTo(page, 'create-stream');
    expect(await focusVisible(page)).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByTestId('go-live').waitFor();
    await tabTo(page, 'go-live');
    await page.keyboard.press('Enter');
    await waitFor('the studio to be live', () => page.getByTestId('studio-state').textContent(), { until: (s) => s === 'live', timeoutMs: 30_000 });
    await context.close();
  });
});
