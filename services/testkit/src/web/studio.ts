// Drives the creator studio UI: create a stream and go live from the fake camera.
import type { Page } from 'playwright-core';
import { planckToTokens } from '@vilokanam/contracts/tokens';
import { waitFor } from '../wait.ts';

/** Streams belong to an account: a signed-out studio signs in with the page's dev wallet first. */
export async function signInToStudio(studio: Page): Promise<void> {
  await studio.goto('/studio');
  const form = studio.getByTestId('title-input');
  const prompt = studio.getByTestId('signin-prompt');
  await form.or(prompt).first().waitFor({ timeout: 20_000 });
  if (await form.isVisible()) return;
  await prompt.getByRole('link', { name: 'Sign in' }).click();
  await studio.getByTestId('signin-dev-wallet').click();
  await studio.waitForURL((url) => url.pathname === '/studio', { timeout: 20_000 });
  await form.waitFor({ timeout: 20_000 });
}

/**
 * Types a per-second price the way a creator would: in tokens per hour once the page knows the
 * chain's token (every whole-planck-per-second price is exact per hour), else in planck per second.
 */
export async function fillPrice(studio: Page, pricePerSecond: bigint): Promise<void> {
  const chain = (await (await studio.request.get('/api/v1/chain')).json()) as { token: { decimals: number } | null };
  if (!chain.token) return studio.getByTestId('price-input').fill(pricePerSecond.toString());
  await studio.getByTestId('price-unit').selectOption('hour');
  await studio.getByTestId('price-input').fill(planckToTokens(pricePerSecond * 3600n, chain.token.decimals));
}

export async function goLive(studio: Page, title: string, timeoutMs = 20_000, opts: { pricePerSecond?: bigint; recording?: boolean } = {}): Promise<string> {
  await signInToStudio(studio);
  await studio.getByTestId('title-input').fill(title);
  await studio.getByTestId('category-input').selectOption('tech');
  if (opts.pricePerSecond) await fillPrice(studio, opts.pricePerSecond);
  if (opts.recording) await studio.getByTestId('recording-input').check();
  await studio.getByTestId('create-stream').click();
  await studio.getByTestId('go-live').click();
  await waitFor('studio to be live', () => studio.getByTestId('studio-state').textContent(), { until: (s) => s === 'live', timeoutMs });
  const href = await studio.getByTestId('watch-link').getAttribute('href');
  const id = href?.split('/').pop();
  if (!id) throw new Error(`no watch link (href ${href})`);
  return id;
}

/**
 * A free live stream starts by itself; a paid one (or one not live yet) waits for Watch. Once
 * the stream's details are on the page the choice is made, so this never clicks a vanished button.
 */
export async function pressWatchUnlessPlaying(page: Page): Promise<void> {
  await page.getByTestId('price').waitFor({ timeout: 20_000 });
  if ((await page.getByTestId('player').getAttribute('data-started')) !== 'true') await page.getByTestId('watch-button').click();
}

/** Clicks Watch (unless the stream started by itself) and returns the page's own measurement: click → first presented frame. */
export async function watch(page: Page, streamId: string, timeoutMs = 20_000): Promise<number> {
  await page.goto(`/watch/${streamId}`);
  await pressWatchUnlessPlaying(page);
  const ms = await waitFor('the first frame', () => page.getByTestId('player').getAttribute('data-join-ms'), { until: (v) => v !== null && /^\d+(\.\d+)?$/.test(v), timeoutMs });
  return Number(ms);
}
