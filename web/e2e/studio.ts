// Drives the creator studio UI: create a stream and go live from the fake camera.
import type { Page } from 'playwright-core';

export async function goLive(studio: Page, title: string, timeoutMs = 20_000): Promise<string> {
  await studio.goto('/studio');
  await studio.getByTestId('title-input').fill(title);
  await studio.getByTestId('category-input').fill('Testing');
  await studio.getByTestId('create-stream').click();
  await studio.getByTestId('go-live').click();
  await pollUntil(() => studio.getByTestId('studio-state').textContent(), (s) => s === 'live', timeoutMs, 'studio to be live');
  const href = await studio.getByTestId('watch-link').getAttribute('href');
  const id = href?.split('/').pop();
  if (!id) throw new Error(`no watch link (href ${href})`);
  return id;
}

/** Clicks Watch and returns the page's own measurement: click → first presented frame. */
export async function watch(page: Page, streamId: string, timeoutMs = 20_000): Promise<number> {
  await page.goto(`/watch/${streamId}`);
  await page.getByTestId('watch-button').click();
  const ms = await pollUntil(
    () => page.getByTestId('player').getAttribute('data-join-ms'),
    (v) => v !== null && /^\d+(\.\d+)?$/.test(v),
    timeoutMs,
    'the first frame',
  );
  return Number(ms);
}

/** Polls `read` until `done` holds; usable in tests and in bench commands alike. */
export async function pollUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(value)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
