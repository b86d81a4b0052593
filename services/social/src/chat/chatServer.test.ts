// Two chat instances on one Postgres and one Redis, with real sockets: what one instance
// accepts, every socket on either instance sees, in one order; moderation reaches them all.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import type { Database } from '@vilokanam/settlement/db';
import { waitFor } from '@vilokanam/testkit';
import { platformEngines } from '@vilokanam/testkit/platform-db';
import { SessionVerifier } from '../auth/SessionVerifier.ts';
import { SocialMetrics } from '../SocialMetrics.ts';
import { TestChatClient } from '../testing/chatClient.ts';
import { createAccount, createStream, TEST_SESSION_SECRET, type TestAccount } from '../testing/fixtures.ts';
import { ChatModeration } from './ChatModeration.ts';
import { ChatServer } from './ChatServer.ts';
import { ChatService } from './ChatService.ts';
import { RedisChatBus } from './RedisChatBus.ts';

const REDIS_URL = process.env.VILO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/12';
const log = pino({ level: 'silent' });
const postgres = platformEngines.find((e) => e.name === 'postgres')!;

interface Instance {
  url: string;
  metrics: SocialMetrics;
  moderation: ChatModeration;
  close(): Promise<void>;
}

async function startInstance(db: Database, prefix: string): Promise<Instance> {
  const metrics = new SocialMetrics();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const bus = new RedisChatBus(redis, new UntrustedInput({ count: (s) => metrics.malformed.inc({ source: s }), warn: () => undefined }), prefix);
  const chat = new ChatService({ db, bus, log, metrics, emotes: async () => [], ratePerWindow: 50 });
  const moderation = new ChatModeration({ db, chat, bus, metrics });
  const verifier = new SessionVerifier(db, TEST_SESSION_SECRET);
  const server = new ChatServer({ chat, moderation, bus, log, metrics, resolveMember: verifier.resolve, clientAddress: (req) => req.socket.remoteAddress ?? '', socketsPerIp: 50 });
  await server.ready;
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req, socket, head) => server.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    metrics,
    moderation,
    async close() {
      await server.close();
      await bus.close();
      redis.disconnect();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

describe('chat across two instances (Postgres, Redis)', () => {
  let db: Database;
  let drop: () => Promise<void>;
  let one: Instance, two: Instance;
  let creator: TestAccount, alice: TestAccount, bob: TestAccount;
  let room: string;
  const prefix = `vilo:test:${randomBytes(4).toString('hex')}:`;
  const clients: TestChatClient[] = [];
  const connect = async (i: Instance, a?: TestAccount): Promise<TestChatClient> => {
    const c = await TestChatClient.connect(i.url, a ? { cookie: a.cookie } : {});
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    ({ db, drop } = await postgres.open());
    one = await startInstance(db, prefix);
    two = await startInstance(db, prefix);
    creator = await createAccount(db, 'Creator');
    alice = await createAccount(db, 'Alice', { handle: 'alice' });
    bob = await createAccount(db, 'Bob');
    room = await createStream(db, creator.id);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await one.close();
    await two.close();
    await drop();
  });

  it('delivers both instances’ messages to every socket in one order', async () => {
    const a = await connect(one, alice);
    const b = await connect(two, bob);
    const readers = [await connect(one), await connect(two)];
    for (const c of [a, b, ...readers]) expect((await c.request('join', { room })).ok).toBe(true);
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      sends.push(a.request('send', { room, text: `a${i}` }), b.request('send', { room, text: `b${i}` }));
    }
    const replies = (await Promise.all(sends)) as { ok: boolean }[];
    expect(replies.every((r) => r.ok)).toBe(true);
    const all = [a, b, ...readers];
    await waitFor('20 messages on every socket', () => all.every((c) => c.texts(room).length === 20));
    const order = a.texts(room);
    for (const c of all) expect(c.texts(room)).toEqual(order);
    expect(order.filter((t) => t.startsWith('a'))).toEqual(Array.from({ length: 10 }, (_, i) => `a${i}`));
    expect(order.filter((t) => t.startsWith('b'))).toEqual(Array.from({ length: 10 }, (_, i) => `b${i}`));
    const delivered = (await one.metrics.chatDeliveries.get()).values[0]!.value + (await two.metrics.chatDeliveries.get()).values[0]!.value;
    expect(delivered).toBeGreaterThanOrEqual(80);
  });

  it('removes a deleted message from every connected socket and from history', async () => {
    const a = await connect(one, alice);
    const reader = await connect(two);
    await a.request('join', { room });
    await reader.request('join', { room });
    const sent = (await a.request('send', { room, text: 'delete me' })).data.message;
    await waitFor('message seen', () => reader.texts(room).includes('delete me'));
    const mod = await connect(two, creator);
    await mod.request('join', { room });
    expect((await mod.request('delete', { room, messageId: sent.id })).ok).toBe(true);
    for (const c of [a, reader, mod]) await c.waitForEvent((e) => e.event === 'deleted' && e.data.messageIds.includes(sent.id), 'deleted event');
    const history = (await reader.request('history', { room })).data.messages.map((m: { id: string }) => m.id);
    expect(history).not.toContain(sent.id);
  });

  it('tells a timed-out account why, on the other instance, and refuses its messages', async () => {
    const victim = await connect(one, bob);
    await victim.request('join', { room });
    const mod = await connect(two, creator);
    await mod.request('join', { room });
    expect((await mod.request('timeout', { room, account: bob.id, seconds: 600, reason: 'spam' })).ok).toBe(true);
    const notice = await victim.waitForEvent((e) => e.event === 'restricted', 'restricted event');
    expect(notice.data.restriction.reason).toBe('timed_out');
    const refused = await victim.request('send', { room, text: 'let me in' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden', restriction: { reason: 'timed_out' } } });
    const joined = await victim.request('join', { room });
    expect(joined.data.restriction.reason).toBe('timed_out');
  });

  it('lets anyone read and only a signed-in account write', async () => {
    const anon = await connect(one);
    const joined = await anon.request('join', { room });
    expect(joined.data).toMatchObject({ role: 'anonymous', restriction: { reason: 'sign_in' } });
    expect(await anon.request('send', { room, text: 'hi' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const forged = await connect(one, { ...alice, cookie: 'vilo_session=eyJhbGciOiJIUzI1NiJ9.e30.forged' });
    expect(await forged.request('send', { room, text: 'hi' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('answers malformed frames with error frames and keeps serving', async () => {
    const c = await connect(one, alice);
    c.ws.send('not json');
    c.ws.send(JSON.stringify({ v: 2, id: 1, type: 'join' }));
    c.ws.send(JSON.stringify({ v: 1, id: 2, type: 'constructor', data: {} }));
    await waitFor('three error frames', () => c.errors.length >= 3);
    expect(c.errors.map((e) => e.error?.code)).toEqual(['bad_request', 'unsupported_version', 'unknown_type']);
    expect(await c.request('join', { room: 'not-a-uuid' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await c.request('send', { room, text: 'x'.repeat(501) })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await c.request('send', { room, text: 'bad\u202etext' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const rooms = await Promise.all(Array.from({ length: 4 }, () => createStream(db, creator.id)));
    for (const r of rooms) expect((await c.request('join', { room: r })).ok).toBe(true);
    expect(await c.request('join', { room })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect((await c.request('leave', { room: rooms[0] })).ok).toBe(true);
    expect((await c.request('join', { room })).ok).toBe(true);
    const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)));
    c.ws.send('x'.repeat(17 * 1024));
    expect(await closed).toBe(1009);
  });

  it('drops a forged envelope on Redis and goes on delivering', async () => {
    const reader = await connect(two);
    await reader.request('join', { room });
    const raw = new Redis(REDIS_URL);
    await raw.publish(`${prefix}room:${room}`, JSON.stringify({ event: 'message', at: 0, room, data: { text: '<script>' } }));
    await raw.publish(`${prefix}room:${room}`, 'garbage');
    raw.disconnect();
    const a = await connect(one, alice);
    await a.request('join', { room });
    await a.request('send', { room, text: 'still here' });
    await waitFor('real message after forged ones', () => reader.texts(room).includes('still here'));
    expect(reader.texts(room)).not.toContain('<script>');
    expect((await two.metrics.malformed.get()).values.reduce((n, v) => n + v.value, 0)).toBeGreaterThanOrEqual(2);
  });

  it('refuses a socket from another site’s page', async () => {
    await expect(TestChatClient.connect(one.url, { cookie: alice.cookie, origin: 'https://evil.example' })).rejects.toThrow(/403/);
  });
});
