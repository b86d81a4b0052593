// Profiles, avatars and creator pages over real HTTP, on both engines, with real sharp.
import { randomBytes, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatorPage, Profile } from '@vilokanam/contracts/social';
import { platformEngines } from '@vilokanam/testkit/platform-db';
import type { Database } from '@vilokanam/settlement/db';
import { ImageIngest } from '../media/ImageIngest.ts';
import { createAccount, follow, type TestAccount } from '../testing/fixtures.ts';
import { gradientPng } from '../testing/images.ts';
import { startRouteServer, type RouteServer } from '../testing/routeServer.ts';
import { profileRoutes } from './profileRoutes.ts';
import { PAST_STREAMS_PAGE, Profiles } from './Profiles.ts';
import { profileSummaries } from './profileSummaries.ts';

const update = (handle: string, extra: Record<string, unknown> = {}) => ({ handle, displayName: `Name of ${handle}`, bio: '', links: [], ...extra });

describe.each(platformEngines)('profile routes on $name', (engine) => {
  let db: Database;
  let drop: () => Promise<void>;
  let api: RouteServer;
  let alice: TestAccount;

  beforeAll(async () => {
    ({ db, drop } = await engine.open());
    api = await startRouteServer(db, [profileRoutes({ profiles: new Profiles(db, new ImageIngest(db)), db })]);
    alice = await createAccount(db, 'Alice');
  });
  afterAll(async () => {
    await api.close();
    await drop();
  });

  it('creates a profile, puts the display name on the account, and shows it to anyone by id', async () => {
    expect((await api.call(null, 'GET', '/me/profile')).status).toBe(401);
    const before = await api.call<Profile>(alice.cookie, 'GET', '/me/profile');
    expect(before.body).toMatchObject({ id: alice.id, handle: null, displayName: 'Alice', bio: '', links: [], avatarUrl: null });
    const put = await api.call<Profile>(alice.cookie, 'PUT', '/me/profile', update('Alice_W', { displayName: 'Alice W.', bio: 'I stream\nmusic', links: ['https://example.com/alice'] }));
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ handle: 'alice_w', displayName: 'Alice W.', bio: 'I stream\nmusic', links: ['https://example.com/alice'] });
    expect(await db.query('SELECT display_name FROM user_accounts WHERE id = $1', [alice.id])).toEqual([{ display_name: 'Alice W.' }]);
    expect((await api.call<Profile>(null, 'GET', `/profiles/${alice.id}`)).body).toEqual(put.body);
    expect((await api.call(null, 'GET', `/profiles/0x${'0'.repeat(64)}`)).status).toBe(404);
    expect((await api.call(null, 'GET', '/profiles/nobody')).status).toBe(404);
    // Saving one's own handle again is no conflict.
    expect((await api.call(alice.cookie, 'PUT', '/me/profile', update('ALICE_W'))).status).toBe(200);
  });

  it('stores a bio that looks like markup exactly as written', async () => {
    const bio = `<script>alert("x")</script><img src=x onerror="alert(1)"> & "quotes" 'too'`;
    const put = await api.call<Profile>(alice.cookie, 'PUT', '/me/profile', update('alice_w', { bio }));
    expect(put.status).toBe(200);
    expect(put.headers.get('content-type')).toMatch(/^application\/json/);
    expect(put.body.bio).toBe(bio);
    expect(await db.query('SELECT bio FROM profiles WHERE account_id = $1', [alice.id])).toEqual([{ bio }]);
  });

  it('refuses bad handles, links and names with 400', async () => {
    for (const body of [
      update('a!'),
      update('ok_handle', { links: ['javascript:alert(1)'] }),
      update('ok_handle', { links: Array.from({ length: 6 }, (_, i) => `https://e.com/${i}`) }),
      update('ok_handle', { displayName: 'evil\u202eeman' }),
      update('ok_handle', { bio: 'x'.repeat(501) }),
    ]) {
      const r = await api.call(alice.cookie, 'PUT', '/me/profile', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('bad_request');
    }
  });

  it('gives a contested handle to exactly one of two concurrent requests', async () => {
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([createAccount(db, 'A'), createAccount(db, 'B')]);
      const handle = `race_${round}`;
      const results = await Promise.all([
        api.call(a.cookie, 'PUT', '/me/profile', update(handle)),
        api.call(b.cookie, 'PUT', '/me/profile', update(handle.toUpperCase())),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const loser = results.find((r) => r.status === 409)!;
      expect(loser.body).toEqual({ error: { code: 'conflict', message: 'that handle is taken' } });
      expect(await db.query('SELECT count(*)::int AS n FROM profiles WHERE handle = $1', [handle])).toEqual([{ n: 1 }]);
    }
  });

  it('takes an avatar upload, resizes it, and serves it immutable as WebP', async () => {
    const newcomer = await createAccount(db, 'New');
    const early = await api.call(newcomer.cookie, 'POST', '/me/avatar', await gradientPng(), 'image/png');
    expect(early.status).toBe(409);
    const up = await api.call<Profile>(alice.cookie, 'POST', '/me/avatar', await gradientPng(), 'image/png');
    expect(up.status).toBe(200);
    expect(up.body.avatarUrl).toMatch(/^\/api\/v1\/images\/[0-9a-f]{64}$/);
    const img = await api.call(null, 'GET', up.body.avatarUrl!.replace('/api/v1', ''));
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/webp');
    expect(img.headers.get('x-content-type-options')).toBe('nosniff');
    expect(img.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await sharp(img.bytes).metadata()).toMatchObject({ format: 'webp', width: 256, height: 256 });
    const again = await fetch(`${api.url}${up.body.avatarUrl}`, { headers: { 'if-none-match': img.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await api.call(null, 'GET', `/images/${'0'.repeat(64)}`)).status).toBe(404);
    expect((await api.call(null, 'GET', '/images/..%2f..%2fetc')).status).toBe(404);
  });

  it('refuses a text file renamed .png with 415, and non-image types', async () => {
    const notes = Buffer.from('these are my notes, saved as avatar.png\n'.repeat(10));
    const r = await api.call(alice.cookie, 'POST', '/me/avatar', notes, 'image/png');
    expect(r.status).toBe(415);
    expect(r.body.error).toMatchObject({ code: 'bad_request', message: 'images must be PNG, JPEG, WebP or GIF' });
    expect((await api.call(alice.cookie, 'POST', '/me/avatar', notes, 'text/plain')).status).toBe(415);
    expect((await api.call(null, 'POST', '/me/avatar', notes, 'image/png')).status).toBe(401);
  });

  it('refuses an oversized body with 413, declared or streamed', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024 + 1, 7);
    const declared = await api.call(alice.cookie, 'POST', '/me/avatar', big, 'image/png');
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('bad_request');
    // Chunked: no Content-Length, so only counting the bytes can stop it.
    const chunks = [big.subarray(0, 1024 * 1024), big.subarray(1024 * 1024, 2 * 1024 * 1024), big.subarray(2 * 1024 * 1024)];
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = chunks.shift();
        if (next) c.enqueue(new Uint8Array(next));
        else c.close();
      },
    });
    const streamed = await fetch(`${api.url}/api/v1/me/avatar`, { method: 'POST', headers: { cookie: alice.cookie, 'content-type': 'image/png' }, body, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: { code: string } }).error.code).toBe('bad_request');
  });

  it('shows a creator page: live stream, past streams with duration and peak, counts and followed', async () => {
    const creator = await createAccount(db, 'Creator', { handle: 'thecreator' });
    const fan = await createAccount(db, 'Fan');
    await follow(db, fan.id, creator.id);
    await follow(db, creator.id, alice.id);
    const liveId = await insertStream(db, creator.id, { status: 'live', startedAt: '2026-03-01T20:00:00Z', viewers: 7, peak: 9 });
    const pastId = await insertStream(db, creator.id, { status: 'ended', startedAt: '2026-02-01T18:00:00Z', endedAt: '2026-02-01T19:30:05.750Z', peak: 42 });
    await insertStream(db, creator.id, { status: 'ended' }); // never went live: not a past stream

    const anonymous = await api.call<CreatorPage>(null, 'GET', '/c/TheCreator');
    expect(anonymous.status).toBe(200);
    const page = anonymous.body;
    expect(page.profile).toMatchObject({ id: creator.id, handle: 'thecreator', displayName: 'Creator', followers: 1, following: 1 });
    expect(page.followed).toBe(false);
    expect(page.live).toMatchObject({ id: liveId, category: 'music', categoryName: 'Music', viewers: 7, tags: ['lofi'], pricePerSecond: '0', startedAt: '2026-03-01T20:00:00.000Z' });
    expect(page.live?.creator).toEqual({ id: creator.id, handle: 'thecreator', displayName: 'Creator' });
    expect(page.past).toEqual([
      { id: pastId, title: 'Stream', category: 'music', startedAt: '2026-02-01T18:00:00.000Z', endedAt: '2026-02-01T19:30:05.750Z', durationSeconds: 5405, peakViewers: 42 },
    ]);
    expect(page.pastNext).toBeNull();
    expect((await api.call<CreatorPage>(fan.cookie, 'GET', '/c/thecreator')).body.followed).toBe(true);
    expect((await api.call(null, 'GET', '/c/nobody_here')).status).toBe(404);
    expect((await api.call(null, 'GET', '/c/not%20a%20handle')).status).toBe(404);
    expect((await api.call(null, 'GET', '/c/thecreator?before=nope')).status).toBe(400);
  });

  it('pages past streams newest first without gaps or repeats', async () => {
    const prolific = await createAccount(db, 'Prolific', { handle: 'prolific' });
    const ids: string[] = [];
    for (let i = 0; i < PAST_STREAMS_PAGE + 5; i++) {
      // Two streams share each start time, so the id must break the tie.
      const start = new Date(Date.UTC(2026, 0, 1, Math.floor(i / 2)));
      ids.push(await insertStream(db, prolific.id, { status: 'ended', startedAt: start.toISOString(), endedAt: new Date(start.getTime() + 60_000).toISOString() }));
    }
    const first = (await api.call<CreatorPage>(null, 'GET', '/c/prolific')).body;
    expect(first.past).toHaveLength(PAST_STREAMS_PAGE);
    expect(first.pastNext).toBe(first.past.at(-1)!.id);
    const second = (await api.call<CreatorPage>(null, 'GET', `/c/prolific?before=${first.pastNext}`)).body;
    expect(second.past).toHaveLength(5);
    expect(second.pastNext).toBeNull();
    const seen = [...first.past, ...second.past];
    expect(new Set(seen.map((p) => p.id))).toEqual(new Set(ids));
    const starts = seen.map((p) => p.startedAt!);
    expect([...starts].sort().reverse()).toEqual(starts);
    expect(seen.every((p) => p.durationSeconds === 60)).toBe(true);
  });

  it('summarizes accounts for other features, falling back to a short address', async () => {
    const bare = await db.query<{ id: string; address: string }>(
      'INSERT INTO user_accounts (id, address) VALUES ($1, $2) RETURNING id, address',
      [`0x${randomBytes(32).toString('hex')}`, `5${randomBytes(24).toString('hex').slice(0, 47)}`],
    );
    const { id, address } = bare[0]!;
    const map = await profileSummaries(db, [alice.id, id, alice.id, `0x${'f'.repeat(64)}`]);
    expect(map.size).toBe(2);
    expect(map.get(alice.id)).toMatchObject({ handle: 'alice_w', displayName: 'Name of alice_w' });
    expect(map.get(alice.id)?.avatarUrl).toMatch(/^\/api\/v1\/images\//);
    expect(map.get(id)).toEqual({ id, handle: null, displayName: `${address.slice(0, 6)}…${address.slice(-4)}`, avatarUrl: null });
    expect((await profileSummaries(db, [])).size).toBe(0);
  });
});

async function insertStream(
  db: Database,
  creator: string,
  o: { status: 'live' | 'ended'; startedAt?: string; endedAt?: string; viewers?: number; peak?: number },
): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO streams (id, title, category, status, stream_key_hash, creator_id, tags, started_at, ended_at, viewers, peak_viewers)
     VALUES ($1, 'Stream', 'music', $2, $3, $4, $5, $6, $7, $8, $9)`,
    [id, o.status, randomBytes(32), creator, ['lofi'], o.startedAt ?? null, o.endedAt ?? (o.status === 'ended' ? new Date().toISOString() : null), o.viewers ?? 0, o.peak ?? 0],
  );
  return id;
}
