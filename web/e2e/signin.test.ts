// Wallet sign-in in real headless Chromium against the real embedded platform: the dev
// wallet creates a key in the page, signs the server's challenge, and the session cookie
// carries the account across a reload until sign-out.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@vilokanam/signaling';
import { startWebPlatform } from '@vilokanam/testkit/web';
import { launchChromium } from '@vilokanam/testkit/web';

let platform: Platform;
let browser: Browser;

beforeAll(async () => {
  platform = await startWebPlatform();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

describe('sign in with the dev wallet', () => {
  it('signs in, keeps the session over a reload, and signs out', async () => {
    const context = await browser.newContext({ baseURL: platform.url });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL('**/signin?next=%2F');

    await page.getByTestId('signin-dev-wallet').click();
    const header = page.getByTestId('account-address');
    await header.waitFor({ timeout: 20_000 });
    await page.waitForURL((url) => url.pathname === '/');

    const stored = JSON.parse((await page.evaluate(() => localStorage.getItem('vilo.devWallet.v1')))!);
    const address: string = stored.address;
    expect(address).toMatch(/^5\w{47}$/);
    expect(await header.getAttribute('title')).toBe(address);
    expect(await header.textContent()).toBe(`${address.slice(0, 6)}…${address.slice(-4)}`);

    // The cookie is httpOnly: the page cannot read it, the browser still sends it.
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'vilo_session', httpOnly: true, sameSite: 'Lax' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('vilo_session');
    const account = await platform.accountFromCookieHeader(`vilo_session=${cookie!.value}`);
    expect(account?.address).toBe(address);

    await page.reload();
    await expect.poll(() => header.getAttribute('title'), { timeout: 10_000 }).toBe(address);

    await page.getByTestId('signout').click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await header.count()).toBe(0);
    expect(await context.cookies()).toEqual([]);
    await page.reload();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await header.count()).toBe(0);

    // Signing in again reuses the remembered dev wallet: same account.
    await page.goto('/signin');
    await page.getByTestId('signin-dev-wallet').click();
    await expect.poll(() => header.getAttribute('title'), { timeout: 20_000 }).toBe(address);
    await context.close();
  });
});
