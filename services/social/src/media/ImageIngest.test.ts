// Uploads through real sharp: what is accepted, what comes out, and what is refused and how.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '@vilokanam/contracts/http';
import { platformEngines } from '@vilokanam/testkit/platform-db';
import type { Database } from '@vilokanam/settlement/db';
import { ImageIngest } from './ImageIngest.ts';
import { gradientPng, headerBomb } from '../testing/images.ts';
import { loadImage, storeImage, sweepUnusedImages } from './images.ts';

async function refusal(p: Promise<unknown>): Promise<HttpError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

describe('ImageIngest.process', () => {
  // Processing touches no table; storing is tested on both engines below.
  const ingest = new ImageIngest({ query: async () => [], exec: async () => undefined });

  it('crops a real PNG to a 256×256 WebP avatar', async () => {
    const out = await ingest.process(await gradientPng(), 'avatar');
    const meta = await sharp(out).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 256, height: 256 });
    // Cover crops the sides of a wide image: the left edge is no longer the source's red 0.
    const { data } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect(data[(128 * 256 + 0) * (meta.channels ?? 3)]).toBeGreaterThan(40);
  });

  it('fits an emote into 112×112 on a transparent ground, upright, without its metadata', async () => {
    // 400×200 stored sideways (EXIF orientation 6): upright it is 200×400, a tall image.
    const jpeg = await sharp(await gradientPng(400, 200))
      .jpeg()
      .withMetadata({ orientation: 6 })
      .withExifMerge({ IFD0: { Copyright: 'someone@example.com' } })
      .toBuffer();
    const input = await sharp(jpeg).metadata();
    expect(input.orientation).toBe(6);
    expect(input.exif?.toString('latin1')).toContain('someone@example.com');
    const out = await ingest.process(jpeg, 'emote');
    const meta = await sharp(out).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 112, height: 112, hasAlpha: true });
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    const { data } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const alpha = (x: number, y: number): number => data[(y * 112 + x) * 4 + 3]!;
    expect(alpha(2, 56)).toBe(0); // the tall image leaves the sides empty
    expect(alpha(56, 56)).toBe(255);
  });

  it('accepts WebP and GIF, identified by their bytes', async () => {
    const base = sharp(await gradientPng(64, 64));
    for (const input of [await base.clone().webp().toBuffer(), await base.clone().gif().toBuffer()]) {
      expect((await sharp(await ingest.process(input, 'emote')).metadata()).format).toBe('webp');
    }
  });

  it('refuses a text file whatever it is called, and SVG, with 415', async () => {
    const text = Buffer.from('just some notes, saved as notes.png\n'.repeat(20));
    expect((await refusal(ingest.process(text, 'avatar'))).status).toBe(415);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>');
    expect((await refusal(ingest.process(svg, 'emote'))).status).toBe(415);
    const tiff = await sharp(await gradientPng(32, 32)).tiff().toBuffer();
    expect((await refusal(ingest.process(tiff, 'emote'))).status).toBe(415);
  });

  it('refuses more than 2 MB with 413 before decoding', async () => {
    const big = Buffer.concat([await gradientPng(16, 16), Buffer.alloc(2 * 1024 * 1024)]);
    const err = await refusal(ingest.process(big, 'avatar'));
    expect(err.status).toBe(413);
    expect(err.code).toBe('bad_request');
  });

  it('refuses a 20000×20000 PNG header bomb with 413, without decoding it', async () => {
    const bomb = headerBomb(20_000, 20_000);
    expect(bomb.length).toBeLessThan(200);
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ format: 'png', width: 20_000, height: 20_000 });
    const err = await refusal(ingest.process(bomb, 'avatar'));
    expect(err.status).toBe(413);
    expect(err.message).toMatch(/4096/);
  });

  it('refuses a truncated image with 400', async () => {
    const png = await gradientPng();
    const err = await refusal(ingest.process(png.subarray(0, png.length / 2), 'avatar'));
    expect(err.status).toBe(400);
  });

  it('lets a bounded number of uploads wait and refuses the rest with 503', async () => {
    const narrow = new ImageIngest({ query: async () => [], exec: async () => undefined }, { concurrency: 1, queue: 1 });
    const png = await gradientPng();
    const results = await Promise.allSettled([0, 1, 2].map(() => narrow.process(png, 'avatar')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const refused = results.find((r) => r.status === 'rejected');
    expect((refused as PromiseRejectedResult).reason).toMatchObject({ status: 503, code: 'unavailable' });
    // The gate reopens: a later upload goes through.
    await expect(narrow.process(png, 'avatar')).resolves.toBeInstanceOf(Buffer);
  });
});

describe.each(platformEngines)('image storage on $name', (engine) => {
  let db: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await engine.open());
  });
  afterAll(() => drop());

  it('stores processed bytes under their SHA-256 once, and serves them back intact', async () => {
    const ingest = new ImageIngest(db);
    const png = await gradientPng();
    const key = await ingest.ingest(png, 'avatar');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await ingest.ingest(png, 'avatar')).toBe(key);
    const stored = await loadImage(db, key);
    expect(stored?.contentType).toBe('image/webp');
    expect(Buffer.isBuffer(stored?.bytes)).toBe(true);
    expect(await sharp(stored!.bytes).metadata()).toMatchObject({ format: 'webp', width: 256, height: 256 });
    expect(await db.query('SELECT 1 FROM images WHERE key = $1', [key])).toHaveLength(1);
    expect(await loadImage(db, 'not-a-key')).toBeUndefined();
  });

  it('refuses oversized rows at the database too', async () => {
    await expect(storeImage(db, Buffer.alloc(600 * 1024, 1), 'image/webp')).rejects.toThrow(/check/i);
  });

  it('sweeps only images nothing refers to, after their grace period', async () => {
    const used = await storeImage(db, Buffer.from('used avatar bytes'), 'image/webp');
    const unused = await storeImage(db, Buffer.from('replaced avatar bytes'), 'image/webp');
    await db.query(`INSERT INTO user_accounts (id, address, display_name) VALUES ($1, $2, NULL)`, [`0x${'ab'.repeat(32)}`, 'x'.repeat(48)]);
    await db.query(`INSERT INTO profiles (account_id, handle, avatar) VALUES ($1, 'sweeper', $2)`, [`0x${'ab'.repeat(32)}`, used]);
    expect(await sweepUnusedImages(db, 3600)).toBe(0);
    await db.query(`UPDATE images SET created_at = now() - interval '2 hours' WHERE key IN ($1, $2)`, [used, unused]);
    expect(await sweepUnusedImages(db, 3600)).toBeGreaterThanOrEqual(1);
    expect(await loadImage(db, unused)).toBeUndefined();
    expect(await loadImage(db, used)).toBeDefined();
  });
});
