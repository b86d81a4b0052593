// Browse and search over real HTTP on both engines: the answers, the 4xx for bad input, and
// hostile search text that never becomes a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformEngines } from '@vilokanam/testkit/platform-db';
import type { Database } from '@vilokanam/settlement/db';
import { SocialMetrics } from '../SocialMetrics.ts';
import { createAccount, createStream, type TestAccount } from '../testing/fixtures.ts';
import { HOSTILE_QUERIES } from '../testing/hostileQueries.ts';
import { startRouteServer, type RouteServer } from '../testing/routeServer.ts';
import { browseRoutes } from './browseRoutes.ts';
import { Categories } from './Categories.ts';
import { Search } from './Search.ts';

describe.each(platformEngines)('browse routes on $name', (engine) => {
  let db: Database;
  let drop: () => Promise<void>;
  let server: RouteServer;
  let admin: TestAccount, user: TestAccount;
  const metrics = new SocialMetrics();

  beforeAll(async () => {
    ({ db, drop } = await engine.open());
    admin = await createAccount(db, 'Admin');
    user = await createAccount(db, 'Streamer', { handle: 'streamer' });
    const id = await createStream(db, user.id, { title: 'Minecraft night', category: 'games', tags: ['cozy'] });
    await db.query('UPDATE streams SET viewers = 12 WHERE id = $1', [id]);
    server = await startRouteServer(db, [
      browseRoutes({ categories: new Categories(db), search: new Search(db), metrics, isAdmin: (accountId) => accountId === admin.id }),
    ]);
  });
  afterAll(async () => {
    await server?.close();
    await drop();
  });

  const searchCount = async (): Promise<number> => (await metrics.searches.get()).values.find((v) => v.metricName === 'vilo_search_seconds_count')?.value ?? 0;

  it('lists categories, most watched first', async () => {
    const res = await server.call(null, 'GET', '/categories');
    expect(res.status).toBe(200);
    expect(res.body.categories[0]).toEqual({ slug: 'games', name: 'Games', liveStreams: 1, viewers: 12 });
  });

  it("answers a category's page, 404 for an unknown one and 400 for a bad page", async () => {
    const res = await server.call(null, 'GET', '/categories/games?page=1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ category: { slug: 'games' }, page: 1, more: false });
    expect(res.body.streams.map((s: { title: string }) => s.title)).toEqual(['Minecraft night']);
    for (const path of ['/categories/nope', '/categories/GAMES', `/categories/${'a'.repeat(40)}`, '/categories/%25']) {
      const miss = await server.call(null, 'GET', path);
      expect(miss.status, path).toBe(404);
      expect(miss.body.error.code).toBe('not_found');
    }
    for (const page of ['0', '-1', 'abc', '1.5', '101']) {
      const bad = await server.call(null, 'GET', `/categories/games?page=${page}`);
      expect(bad.status, page).toBe(400);
      expect(bad.body.error.code).toBe('bad_request');
    }
  });

  it('searches, with a typo, and counts the search in the metrics', async () => {
    const before = await searchCount();
    const res = await server.call(null, 'GET', '/search?q=minecarft');
    expect(res.status).toBe(200);
    expect(res.body.streams.map((s: { title: string }) => s.title)).toEqual(['Minecraft night']);
    expect(res.body).toMatchObject({ page: 1, more: false, categories: [] });
    expect(await searchCount()).toBe(before + 1);
  });

  it('refuses malformed queries with a 400 JSON error', async () => {
    const bad = ['', '?q=', '?q=%20%20', `?q=${'x'.repeat(101)}`, '?q=a&type=videos', '?q=a&page=0', '?q=a&page=51', '?q=a&page=x', '?q=a&q=b'];
    for (const query of bad) {
      const res = await server.call(null, 'GET', `/search${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
    }
  });

  it('answers hostile search text with results or nothing, never a 500', async () => {
    for (const q of HOSTILE_QUERIES) {
      const res = await server.call(null, 'GET', `/search?q=${encodeURIComponent(q.toWellFormed())}&type=all&page=2`);
      expect(res.status, JSON.stringify(q)).toBe(q.trim() === '' ? 400 : 200);
    }
    // Percent-encoding that is not valid UTF-8 reaches the route as replacement characters.
    const res = await server.call(null, 'GET', '/search?q=%FF%FE%00');
    expect(res.status).toBeLessThan(500);
  });

  it('lets admins add a category: 401 signed out, 403 for others, 400 bad, 409 taken', async () => {
    const body = { slug: 'retro', name: 'Retro' };
    expect((await server.call(null, 'POST', '/admin/categories', body)).status).toBe(401);
    const forbidden = await server.call(user.cookie, 'POST', '/admin/categories', body);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
    for (const bad of [{}, { slug: 'Retro!', name: 'R' }, { slug: 'retro', name: '' }, { slug: 'retro', name: 'a\u0000b' }, { slug: 'x'.repeat(33), name: 'X' }, []]) {
      const res = await server.call(admin.cookie, 'POST', '/admin/categories', bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    const created = await server.call(admin.cookie, 'POST', '/admin/categories', body);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ slug: 'retro', name: 'Retro', liveStreams: 0, viewers: 0 });
    expect((await server.call(admin.cookie, 'POST', '/admin/categories', { slug: 'retro2', name: 'RETRO' })).status).toBe(409);
    const list = await server.call(null, 'GET', '/categories');
    expect(list.body.categories.map((c: { slug: string }) => c.slug)).toContain('retro');
  });
});
