// WHIP ingest against the studio, to the first frame a viewer decodes, in the same run: one
// platform (embedded mode, child process), one Chromium with the fake camera. Each round starts
// publishing one way (the studio's Go live click, or a WHIP client's POST from a page of its
// own) and ends when a werift viewer, joined the moment the stream reads live, decodes a frame.
// Rounds alternate the order. Usage: npm run bench:whip  (env ROUNDS)
import type { Page } from 'playwright-core';
import { NodeViewer } from '@vilokanam/testkit/clients';
import { clientContext, clientPage, launchChromium, mediaContext, signInToStudio, whipPublish } from '@vilokanam/testkit/web';
import { startPlatformProcess } from './lib/platform.ts';
import { percentile } from './lib/proc.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 8);

const { process: platform, baseURL } = await startPlatformProcess({ VILO_TRUSTED_PROXIES: 'loopback' });

async function status(id: string): Promise<string> {
  return ((await (await fetch(`${baseURL}/api/v1/streams/${id}`)).json()) as { stream: { status: string } }).stream.status;
}

/** From `start` (performance.now) to the first frame a viewer joined at "live" decodes. */
async function firstViewerFrame(id: string, start: number): Promise<number> {
  const deadline = Date.now() + 20_000;
  while ((await status(id)) !== 'live') {
    if (Date.now() > deadline) throw new Error(`stream ${id} did not go live in 20 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const viewer = new NodeViewer(baseURL, id);
  try {
    await viewer.start(20_000);
    return performance.now() - start;
  } finally {
    viewer.close();
  }
}

async function ended(id: string): Promise<void> {
  for (let i = 0; i < 200 && (await status(id)) === 'live'; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1000));
}

console.log(`platform up at ${baseURL}`);
const browser = await launchChromium();
try {
  const studio = await (await mediaContext(browser, baseURL)).newPage();
  await signInToStudio(studio);
  await studio.getByTestId('title-input').fill('bench studio');
  await studio.getByTestId('category-input').selectOption('tech');
  await studio.getByTestId('create-stream').click();
  const studioId = (await studio.getByTestId('whip-url').textContent())!.split('/').pop()!;
  // The WHIP stream belongs to the same creator; its key is what the studio's panel would show.
  const created = await studio.context().request.post(`${baseURL}/api/v1/streams`, { data: { title: 'bench whip', category: 'Tech' } });
  const { stream, streamKey: key } = (await created.json()) as { stream: { id: string }; streamKey: string };
  const whipId = stream.id;
  const whipUrl = `${baseURL}/whip/${whipId}`;
  const ctx = await clientContext(browser);

  const times = { studio: [] as number[], whip: [] as number[] };
  console.log(`streams: studio ${studioId}, WHIP ${whipId}`);
  const runStudio = async () => {
    const start = performance.now();
    await studio.getByTestId('go-live').click();
    times.studio.push(await firstViewerFrame(studioId, start));
    await studio.getByTestId('stop-stream').click();
    await ended(studioId);
  };
  const runWhip = async (page: Page) => {
    const start = performance.now();
    const [ms] = await Promise.all([firstViewerFrame(whipId, start), whipPublish(page, whipUrl, key, { simulcast: true })]);
    times.whip.push(ms);
    await page.evaluate(() => (window as unknown as { whip: { stop(): Promise<void> } }).whip.stop());
    await ended(whipId);
  };
  for (let round = 0; round < ROUNDS; round++) {
    const page = await clientPage(ctx);
    const order = round % 2 === 0 ? ['whip', 'studio'] : ['studio', 'whip'];
    for (const which of order) {
      if (which === 'whip') await runWhip(page);
      else await runStudio();
    }
    await page.close();
    console.log(`round ${round + 1}: WHIP ${times.whip.at(-1)!.toFixed(0)} ms, studio ${times.studio.at(-1)!.toFixed(0)} ms`);
  }
  const line = (name: string, v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    return `${name}: p50 ${percentile(s, 50).toFixed(0)} ms, p95 ${percentile(s, 95).toFixed(0)} ms, min ${s[0]!.toFixed(0)} ms`;
  };
  console.log(line('WHIP POST → first viewer frame', times.whip));
  console.log(line('studio Go live → first viewer frame', times.studio));
  const ratio = percentile([...times.whip].sort((a, b) => a - b), 50) / percentile([...times.studio].sort((a, b) => a - b), 50);
  console.log(`WHIP / studio at p50: ${ratio.toFixed(2)} (target <= 1.00)`);
} finally {
  await browser.close();
  platform.kill('SIGTERM');
}
