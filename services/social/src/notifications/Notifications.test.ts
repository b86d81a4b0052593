import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationsResponse } from '@vilokanam/contracts/social';
import type { Database } from '@vilokanam/settlement/db';
import { platformEngines } from '@vilokanam/testkit/platform-db';
import { SocialMetrics } from '../SocialMetrics.ts';
import { createAccount, createStream, follow, type TestAccount } from '../testing/fixtures.ts';
import { startRouteServer, type RouteServer } from '../testing/routeServer.ts';
import { notificationRoutes } from './notificationRoutes.ts';
import { NOTIFICATIONS_PAGE, Notifications } from './Notifications.ts';

async function counted(metrics: SocialMetrics): Promise<number> {
  return (await metrics.notifications.get()).values[0]?.value ?? 0;
}

describe.each(platformEngines)('notifications on $name', (engine) => {
  let db: Database;
  let drop: () => Promise<void>;
  let server: RouteServer;
  let metrics: SocialMetrics;
  let notifications: Notifications;
  let creator: TestAccount, ana: TestAccount, ben: TestAccount, cleo: TestAccount;

  beforeAll(async () => {
    ({ db, drop } = await engine.open());
    metrics = new SocialMetrics();
    notifications = new Notifications(db, metrics);
    server = await startRouteServer(db, [notificationRoutes({ notifications })]);
    creator = await createAccount(db, 'Creator', { handle: 'creator' });
    ana = await createAccount(db, 'Ana');
    ben = await createAccount(db, 'Ben');
    cleo = await createAccount(db, 'Cleo');
    await follow(db, ana.id, creator.id);
    await follow(db, ben.id, creator.id);
  });

  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  it('notifies each follower once per stream, however often the start is reported', async () => {
    const stream = await createStream(db, creator.id, { title: 'Going live', category: 'tech' });
    const first = await notifications.recordLive(stream);
    expect(first.notified.sort()).toEqual([ana.id, ben.id].sort());
    const notice = first.notification(ana.id);
    expect(notice).toEqual({
      id: expect.stringMatching(/^[0-9]+$/),
      kind: 'live',
      creator: { id: creator.id, handle: 'creator', displayName: 'Creator' },
      stream: { id: stream, title: 'Going live', category: 'tech' },
      createdAt: expect.stringMatching(/^\d{4}-/),
      read: false,
    });
    expect(first.notification(ben.id).id).not.toBe(notice.id);
    expect(() => first.notification(cleo.id)).toThrow();
    expect(await counted(metrics)).toBe(2);

    const again = await notifications.recordLive(stream);
    expect(again.notified).toEqual([]);
    expect(await counted(metrics)).toBe(2);

    // Someone who follows after the first report is notified by the next one, and only they.
    await follow(db, cleo.id, creator.id);
    expect((await notifications.recordLive(stream)).notified).toEqual([cleo.id]);
    const stored = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE stream = $1', [stream]);
    expect(stored[0]!.n).toBe(3);
    await db.query('DELETE FROM follows WHERE follower = $1 AND creator = $2', [cleo.id, creator.id]);
  });

  it('notifies no one for a stream that is not live or has no creator', async () => {
    expect((await notifications.recordLive(await createStream(db, creator.id, { status: 'created' }))).notified).toEqual([]);
    expect((await notifications.recordLive(await createStream(db, creator.id, { status: 'ended' }))).notified).toEqual([]);
    expect((await notifications.recordLive(await createStream(db, null))).notified).toEqual([]);
  });

  it('lists the newest notifications with the unread count, and marks them read', async () => {
    const reader = await createAccount(db, 'Reader');
    await follow(db, reader.id, creator.id);
    const streams: string[] = [];
    for (let i = 0; i < NOTIFICATIONS_PAGE + 2; i++) {
      const s = await createStream(db, creator.id, { title: `Stream ${i}` });
      await notifications.recordLive(s);
      streams.push(s);
    }
    const listed = await server.call<NotificationsResponse>(reader.cookie, 'GET', '/me/notifications');
    expect(listed.status).toBe(200);
    expect(listed.body.unread).toBe(NOTIFICATIONS_PAGE + 2);
    expect(listed.body.notifications).toHaveLength(NOTIFICATIONS_PAGE);
    expect(listed.body.notifications[0]!.stream.id).toBe(streams.at(-1));

    const two = listed.body.notifications.slice(0, 2).map((n) => n.id);
    expect(await server.call(reader.cookie, 'POST', '/me/notifications/read', { ids: two })).toMatchObject({ status: 200, body: { unread: NOTIFICATIONS_PAGE } });
    const after = await server.call<NotificationsResponse>(reader.cookie, 'GET', '/me/notifications');
    expect(after.body.notifications.slice(0, 3).map((n) => n.read)).toEqual([true, true, false]);

    // Another account cannot mark the reader's notifications read.
    const third = listed.body.notifications[2]!.id;
    expect(await server.call(ana.cookie, 'POST', '/me/notifications/read', { ids: [third] })).toMatchObject({ status: 200 });
    expect((await notifications.list(reader.id)).unread).toBe(NOTIFICATIONS_PAGE);

    expect(await server.call(reader.cookie, 'POST', '/me/notifications/read', {})).toMatchObject({ status: 200, body: { unread: 0 } });
    expect((await notifications.list(reader.id)).notifications.every((n) => n.read)).toBe(true);
  });

  it('refuses anonymous callers and malformed ids', async () => {
    expect((await server.call(null, 'GET', '/me/notifications')).status).toBe(401);
    expect((await server.call(null, 'POST', '/me/notifications/read', {})).status).toBe(401);
    expect((await server.call(ana.cookie, 'POST', '/me/notifications/read', { ids: ['x'] })).status).toBe(400);
    expect((await server.call(ana.cookie, 'POST', '/me/notifications/read', { ids: [] })).status).toBe(400);
  });
});
