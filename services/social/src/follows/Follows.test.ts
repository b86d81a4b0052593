import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowseStream, FollowEntry, FollowList, FollowState } from '@vilokanam/contracts/social';
import type { Database } from '@vilokanam/settlement/db';
import { platformEngines } from '@vilokanam/testkit/platform-db';
import { createAccount, createStream, follow, type TestAccount } from '../testing/fixtures.ts';
import { startRouteServer, type RouteServer } from '../testing/routeServer.ts';
import { followRoutes } from './followRoutes.ts';
import { FOLLOW_PAGE, Follows } from './Follows.ts';

describe.each(platformEngines)('follows on $name', (engine) => {
  let db: Database;
  let drop: () => Promise<void>;
  let server: RouteServer;
  let follows: Follows;
  let ana: TestAccount, ben: TestAccount, cleo: TestAccount;

  beforeAll(async () => {
    ({ db, drop } = await engine.open());
    follows = new Follows(db, { maxFollowing: 4 });
    server = await startRouteServer(db, [followRoutes({ follows, toggleLimit: { burst: 1000, perMinute: 1000 } })]);
    ana = await createAccount(db, 'Ana', { handle: 'ana' });
    ben = await createAccount(db, 'Ben');
    cleo = await createAccount(db, 'Cleo', { handle: 'cleo' });
  });

  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  it('follows once however often it is asked, and unfollows', async () => {
    const first = await server.call<FollowState>(ana.cookie, 'PUT', `/follows/${ben.id}`);
    expect(first).toMatchObject({ status: 200, body: { following: true, followers: 1 } });
    const since = await follows.followedSince(ana.id, ben.id);
    expect(since).toBeInstanceOf(Date);

    const again = await server.call<FollowState>(ana.cookie, 'PUT', `/follows/${ben.id}`);
    expect(again.body).toEqual({ following: true, followers: 1 });
    expect((await follows.followedSince(ana.id, ben.id))?.getTime()).toBe(since!.getTime());
    expect(await follows.counts(ana.id)).toEqual({ followers: 0, following: 1 });
    expect(await follows.counts(ben.id)).toEqual({ followers: 1, following: 0 });

    const gone = await server.call<FollowState>(ana.cookie, 'DELETE', `/follows/${ben.id}`);
    expect(gone).toMatchObject({ status: 200, body: { following: false, followers: 0 } });
    expect(await follows.followedSince(ana.id, ben.id)).toBeUndefined();
    // Unfollowing someone not followed is answered the same way.
    expect((await server.call(ana.cookie, 'DELETE', `/follows/${ben.id}`)).status).toBe(200);
  });

  it('refuses following yourself, unknown accounts, malformed ids and anonymous callers', async () => {
    expect(await server.call(ana.cookie, 'PUT', `/follows/${ana.id}`)).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect(await server.call(ana.cookie, 'PUT', `/follows/0x${'ab'.repeat(32)}`)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect((await server.call(ana.cookie, 'PUT', '/follows/not-an-account')).status).toBe(400);
    expect((await server.call(null, 'PUT', `/follows/${ben.id}`)).status).toBe(401);
    expect(await follows.counts(ana.id)).toEqual({ followers: 0, following: 0 });
  });

  it('bounds how many accounts one account follows', async () => {
    const fan = await createAccount(db, 'Fan');
    const creators = await Promise.all([1, 2, 3, 4, 5].map((n) => createAccount(db, `Creator ${n}`)));
    for (const c of creators.slice(0, 4)) expect((await server.call(fan.cookie, 'PUT', `/follows/${c.id}`)).status).toBe(200);
    const over = await server.call(fan.cookie, 'PUT', `/follows/${creators[4]!.id}`);
    expect(over).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    // Following someone already followed is not a new follow, so the bound does not refuse it.
    expect((await server.call(fan.cookie, 'PUT', `/follows/${creators[0]!.id}`)).status).toBe(200);
    expect((await follows.counts(fan.id)).following).toBe(4);
  });

  it('rate-limits toggling per account', async () => {
    const strict = await startRouteServer(db, [followRoutes({ follows, toggleLimit: { burst: 3, perMinute: 1 } })]);
    try {
      const toggler = await createAccount(db, 'Toggler');
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await strict.call(toggler.cookie, i % 2 ? 'DELETE' : 'PUT', `/follows/${cleo.id}`)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await strict.call(toggler.cookie, 'PUT', `/follows/${cleo.id}`);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another account has its own budget.
      expect((await strict.call(ben.cookie, 'PUT', `/follows/${cleo.id}`)).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('pages followers and following newest first, with ties in follow time', async () => {
    const star = await createAccount(db, 'Star', { handle: 'star' });
    const base = '0x' + 'f0'.repeat(4);
    // 123 followers, seven to a follow instant, at microsecond-precise times: the cursor must
    // carry the exact time and break ties by id.
    await db.query(
      `INSERT INTO user_accounts (id, address, display_name)
       SELECT $1 || lpad(to_hex(g), 56, '0'), repeat('5', 48), NULL FROM generate_series(1, 123) g`,
      [base],
    );
    await db.query(
      `INSERT INTO follows (follower, creator, created_at)
       SELECT $1 || lpad(to_hex(g), 56, '0'), $2, timestamptz '2024-05-01 12:00:00+00' + (g / 7) * interval '1.234567 second'
         FROM generate_series(1, 123) g`,
      [base, star.id],
    );
    const seen: FollowEntry[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: FollowList } = await server.call<FollowList>(null, 'GET', `/accounts/${star.id}/followers${next ? `?before=${next}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.entries);
      next = res.body.next;
      pages++;
    } while (next);
    expect(pages).toBe(Math.ceil(123 / FOLLOW_PAGE));
    expect(seen).toHaveLength(123);
    expect(new Set(seen.map((e) => e.id)).size).toBe(123);
    const order = seen.map((e) => [e.followedAt, e.id] as const);
    const sorted = [...order].sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? 1 : -1) : a[0] < b[0] ? 1 : -1));
    expect(order).toEqual(sorted);
    // Accounts without a display name are shown by their address's ends.
    expect(seen[0]!.displayName).toMatch(/^555555…5555$/);
    expect(await follows.counts(star.id)).toEqual({ followers: 123, following: 0 });

    await follow(db, star.id, cleo.id);
    const following = await server.call<FollowList>(null, 'GET', `/accounts/${star.id}/following`);
    expect(following.body).toEqual({ entries: [expect.objectContaining({ id: cleo.id, handle: 'cleo', displayName: 'Cleo', avatarUrl: null })], next: null });
  });

  it('refuses lists of unknown accounts and cursors it did not issue', async () => {
    expect((await server.call(null, 'GET', `/accounts/0x${'cd'.repeat(32)}/followers`)).status).toBe(404);
    expect((await server.call(null, 'GET', '/accounts/nobody/following')).status).toBe(404);
    expect((await server.call(null, 'GET', `/accounts/${ana.id}/followers?before=2024-01-01`)).status).toBe(400);
  });

  it('lists the live streams of followed creators, most watched first', async () => {
    const viewer = await createAccount(db, 'Viewer');
    const [quiet, busy, off, stranger] = await Promise.all(['Quiet', 'Busy', 'Off', 'Stranger'].map((n) => createAccount(db, n, { handle: n.toLowerCase() })));
    const quietStream = await createStream(db, quiet!.id, { title: 'Quiet one', category: 'music', tags: ['lofi'] });
    const busyStream = await createStream(db, busy!.id, { title: 'Busy one', category: 'games' });
    await createStream(db, off!.id, { status: 'ended' });
    await createStream(db, stranger!.id);
    await db.query('UPDATE streams SET viewers = $2 WHERE id = $1', [quietStream, 5]);
    await db.query('UPDATE streams SET viewers = $2, price_per_second = 7 WHERE id = $1', [busyStream, 50]);
    for (const c of [quiet!, busy!, off!]) await follow(db, viewer.id, c.id);

    const res = await server.call<{ streams: BrowseStream[] }>(viewer.cookie, 'GET', '/me/following/live');
    expect(res.status).toBe(200);
    expect(res.body.streams.map((s) => s.id)).toEqual([busyStream, quietStream]);
    expect(res.body.streams[1]).toEqual({
      id: quietStream,
      title: 'Quiet one',
      category: 'music',
      categoryName: 'Music',
      tags: ['lofi'],
      viewers: 5,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      pricePerSecond: '0',
      creator: { id: quiet!.id, handle: 'quiet', displayName: 'Quiet' },
    });
    expect(res.body.streams[0]!.pricePerSecond).toBe('7');
    expect((await server.call(null, 'GET', '/me/following/live')).status).toBe(401);
  });
});
