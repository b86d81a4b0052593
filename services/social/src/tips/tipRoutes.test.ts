// Tipping over HTTP on both engines: a retried request pays and shows once, and every refusal
// (signed out, banned, short of balance, ended stream, self-tip, garbage) is a JSON 4xx.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creatorAccount, Ledger, viewerAccount } from '@vilokanam/settlement';
import type { Database } from '@vilokanam/settlement/db';
import { platformEngines } from '@vilokanam/testkit/platform-db';
import type { BusEnvelope } from '../chat/ChatBus.ts';
import { ChatModeration } from '../chat/ChatModeration.ts';
import { ChatService } from '../chat/ChatService.ts';
import { MemoryChatBus } from '../chat/MemoryChatBus.ts';
import { SocialMetrics } from '../SocialMetrics.ts';
import { createAccount, createStream, type TestAccount } from '../testing/fixtures.ts';
import { startRouteServer, type RouteServer } from '../testing/routeServer.ts';
import { tipRoutes } from './tipRoutes.ts';

describe.each(platformEngines)('tip routes on $name', (engine) => {
  let db: Database;
  let drop: () => Promise<void>;
  let server: RouteServer;
  let chat: ChatService;
  let moderation: ChatModeration;
  let creator: TestAccount, viewer: TestAccount, broke: TestAccount;
  let room: string;
  const heard: BusEnvelope[] = [];

  beforeAll(async () => {
    ({ db, drop } = await engine.open());
    const bus = new MemoryChatBus();
    bus.onEnvelope((e) => heard.push(e));
    const metrics = new SocialMetrics();
    chat = new ChatService({ db, bus, log: pino({ level: 'silent' }), metrics, emotes: async () => [] });
    moderation = new ChatModeration({ db, chat, bus, metrics });
    creator = await createAccount(db, 'Creator');
    viewer = await createAccount(db, 'Viewer', { handle: 'tipper' });
    broke = await createAccount(db, 'Broke');
    room = await createStream(db, creator.id);
    await bus.subscribe({ room });
    await new Ledger(db).creditDeposit({ chainId: `test:${randomUUID()}`, account: viewer.id, amount: 1_000_000n });
    server = await startRouteServer(db, [tipRoutes({ db, chat, metrics })]);
  });
  afterAll(async () => {
    await server.close();
    await drop();
  });

  it('pays once and writes one chat line however often the same tip is retried', async () => {
    const tip = { tipId: randomUUID(), amount: '1001', message: 'encore!' };
    const first = await server.call(viewer.cookie, 'POST', `/streams/${room}/tips`, tip);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ tipId: tip.tipId, amount: '1001', creatorShare: '900', platformShare: '101', viewer: { handle: 'tipper' } });
    const again = await Promise.all([1, 2, 3].map(() => server.call(viewer.cookie, 'POST', `/streams/${room}/tips`, tip)));
    expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
    const ledger = new Ledger(db);
    expect(await ledger.balance(viewerAccount(viewer.id))).toBe(1_000_000n - 1001n);
    expect(await ledger.balance(creatorAccount(creator.id))).toBe(900n);
    const lines = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM chat_messages WHERE tip_id = $1', [tip.tipId]);
    expect(lines[0]!.n).toBe(1);
    await new Promise((r) => setTimeout(r, 10));
    expect(heard.filter((e) => e.event === 'message' && e.data.tip?.amount === '1001')).toHaveLength(1);
    const received = await server.call(creator.cookie, 'GET', '/me/tips');
    expect(received.body.tips.map((t: { tipId: string }) => t.tipId)).toEqual([tip.tipId]);
  });

  it('refuses the same tipId with other details, a short balance, self-tips and garbage', async () => {
    const tipId = randomUUID();
    expect((await server.call(viewer.cookie, 'POST', `/streams/${room}/tips`, { tipId, amount: '5' })).status).toBe(201);
    expect(await server.call(viewer.cookie, 'POST', `/streams/${room}/tips`, { tipId, amount: '6' })).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    expect(await server.call(broke.cookie, 'POST', `/streams/${room}/tips`, { tipId: randomUUID(), amount: '5' })).toMatchObject({ status: 402, body: { error: { code: 'payment_required' } } });
    expect(await server.call(creator.cookie, 'POST', `/streams/${room}/tips`, { tipId: randomUUID(), amount: '5' })).toMatchObject({ status: 400 });
    expect(await server.call(null, 'POST', `/streams/${room}/tips`, { tipId: randomUUID(), amount: '5' })).toMatchObject({ status: 401 });
    for (const body of [{ tipId: 'x', amount: '5' }, { tipId: randomUUID(), amount: '-5' }, { tipId: randomUUID(), amount: '05' }, { tipId: randomUUID(), amount: '5', message: 'x'.repeat(201) }, []]) {
      expect((await server.call(viewer.cookie, 'POST', `/streams/${room}/tips`, body)).status).toBe(400);
    }
    expect((await server.call(viewer.cookie, 'POST', '/streams/not-a-uuid/tips', { tipId: randomUUID(), amount: '5' })).status).toBe(404);
  });

  it('refuses tips from a banned account and to a stream that is not live', async () => {
    await moderation.ban(creator, { room, account: viewer.id });
    expect(await server.call(viewer.cookie, 'POST', `/streams/${room}/tips`, { tipId: randomUUID(), amount: '5' })).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    await moderation.unban(creator, { room, account: viewer.id });
    const ended = await createStream(db, creator.id, { status: 'ended' });
    expect(await server.call(viewer.cookie, 'POST', `/streams/${ended}/tips`, { tipId: randomUUID(), amount: '5' })).toMatchObject({ status: 409, body: { error: { code: 'stream_not_live' } } });
  });
});
