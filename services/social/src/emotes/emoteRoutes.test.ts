// Emotes over real HTTP, on both engines: the seeded platform set, creators' uploads through real
// sharp, and the per-channel bound under concurrent uploads.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emote } from '@vilokanam/contracts/chat';
import type { EmoteList } from '@vilokanam/contracts/social';
import { platformEngines } from '@vilokanam/testkit/platform-db';
import type { Database } from '@vilokanam/settlement/db';
import { ImageIngest } from '../media/ImageIngest.ts';
import { loadImage } from '../media/images.ts';
import { createAccount, type TestAccount } from '../testing/fixtures.ts';
import { gradientPng } from '../testing/images.ts';
import { startRouteServer, type RouteServer } from '../testing/routeServer.ts';
import { emoteRoutes } from './emoteRoutes.ts';
import { Emotes } from './Emotes.ts';
import { PLATFORM_EMOTES } from './platformEmotes.ts';

const MAX = 4;

describe.each(platformEngines)('emotes on $name', (engine) => {
  let db: Database;
  let drop: () => Promise<void>;
  let api: RouteServer;
  let emotes: Emotes;
  let creator: TestAccount, other: TestAccount;
  let png: Buffer;

  beforeAll(async () => {
    ({ db, drop } = await engine.open());
    emotes = new Emotes(db, new ImageIngest(db), { maxPerChannel: MAX });
    api = await startRouteServer(db, [emoteRoutes({ emotes })]);
    creator = await createAccount(db, 'Creator');
    other = await createAccount(db, 'Other');
    png = await gradientPng(300, 150);
  });
  afterAll(async () => {
    await api.close();
    await drop();
  });

  const keyOf = (e: Emote): string => e.url.split('/').at(-1)!;

  it('seeds the platform set idempotently, as transparent 112×112 WebP images', async () => {
    await emotes.seedPlatform();
    const first = await emotes.forChannel(null);
    await Promise.all([emotes.seedPlatform(), emotes.seedPlatform()]);
    expect(await emotes.forChannel(null)).toEqual(first);
    expect(first.map((e) => e.code).sort()).toEqual(PLATFORM_EMOTES.map((e) => e.code).sort());
    expect(first.length).toBeGreaterThanOrEqual(8);
    expect(first.every((e) => e.channel === null)).toBe(true);
    expect(new Set(first.map(keyOf)).size).toBe(first.length);
    for (const e of first) {
      const image = await loadImage(db, keyOf(e));
      expect(await sharp(image!.bytes).metadata()).toMatchObject({ format: 'webp', width: 112, height: 112, hasAlpha: true });
    }
    // Art that changes between releases replaces the old image under the same code.
    await db.query(`UPDATE emotes SET image = (SELECT key FROM images WHERE key <> emotes.image LIMIT 1) WHERE code = 'viloLove'`);
    await emotes.seedPlatform();
    expect(await emotes.forChannel(null)).toEqual(first);
  });

  it('adds a creator emote from an upload and lists it after the platform set', async () => {
    const up = await api.call<Emote>(creator.cookie, 'POST', '/me/emotes?code=Hyped', png, 'image/png');
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ code: 'Hyped', channel: creator.id });
    const stored = await loadImage(db, keyOf(up.body));
    expect(await sharp(stored!.bytes).metadata()).toMatchObject({ format: 'webp', width: 112, height: 112, hasAlpha: true });

    const listed = await api.call<EmoteList>(null, 'GET', `/emotes?channel=${creator.id}`);
    expect(listed.body.emotes.at(-1)).toEqual(up.body);
    expect(listed.body.emotes.slice(0, PLATFORM_EMOTES.length).every((e) => e.channel === null)).toBe(true);
    expect((await api.call<EmoteList>(null, 'GET', `/emotes?channel=${other.id}`)).body.emotes.some((e) => e.code === 'Hyped')).toBe(false);
    expect((await api.call<EmoteList>(null, 'GET', '/emotes')).body.emotes).toHaveLength(PLATFORM_EMOTES.length);
    expect(await emotes.forChannel(creator.id)).toEqual(listed.body.emotes);
  });

  it('refuses taken, reserved and malformed codes, and non-images', async () => {
    const cases: [string, Buffer, string, number][] = [
      ['hyped', png, 'image/png', 409],
      ['viloNew', png, 'image/png', 400],
      ['1abc', png, 'image/png', 400],
      ['a', png, 'image/png', 400],
      ['Notes', Buffer.from('plain text, named emote.png'), 'image/png', 415],
    ];
    for (const [code, body, type, status] of cases) {
      const r = await api.call(creator.cookie, 'POST', `/me/emotes?code=${code}`, body, type);
      expect(r.status, code).toBe(status);
      expect(r.body.error.code).toBe(status === 409 ? 'conflict' : 'bad_request');
    }
    expect((await api.call(null, 'POST', '/me/emotes?code=Anon', png, 'image/png')).status).toBe(401);
    // Another channel may use the same code.
    expect((await api.call(other.cookie, 'POST', '/me/emotes?code=Hyped', png, 'image/png')).status).toBe(201);
  });

  it('holds the per-channel bound when uploads race', async () => {
    const have = (await emotes.forChannel(creator.id)).filter((e) => e.channel === creator.id).length;
    const results = await Promise.all(
      Array.from({ length: MAX + 2 }, (_, i) => api.call(creator.cookie, 'POST', `/me/emotes?code=Race${i}`, png, 'image/png')),
    );
    const created = results.filter((r) => r.status === 201).length;
    expect(created).toBe(MAX - have);
    expect(results.filter((r) => r.status === 409).every((r) => /at most 4 emotes/.test(r.body.error.message))).toBe(true);
    expect(await db.query('SELECT count(*)::int AS n FROM emotes WHERE channel = $1', [creator.id])).toEqual([{ n: MAX }]);
  });

  it('deletes a creator emote by code, and only the caller’s own', async () => {
    expect((await api.call(other.cookie, 'DELETE', '/me/emotes/Race0')).status).toBe(404);
    const own = (await emotes.forChannel(creator.id)).find((e) => e.channel === creator.id)!;
    expect((await api.call(creator.cookie, 'DELETE', `/me/emotes/${own.code.toUpperCase()}`)).status).toBe(204);
    expect((await api.call(creator.cookie, 'DELETE', `/me/emotes/${own.code}`)).status).toBe(404);
    expect((await emotes.forChannel(creator.id)).some((e) => e.code === own.code && e.channel === creator.id)).toBe(false);
    expect((await api.call(creator.cookie, 'DELETE', '/me/emotes/viloLove')).status).toBe(404);
    expect((await emotes.forChannel(null)).some((e) => e.code === 'viloLove')).toBe(true);
  });
});
