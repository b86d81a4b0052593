import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LiveWebhookBody, Webhook } from '@vilokanam/contracts/social';
import { openDatabase, type Database } from '@vilokanam/settlement/db';
import { platformEngines } from '@vilokanam/testkit/platform-db';
import { SocialMetrics } from '../SocialMetrics.ts';
import { createAccount, createStream, type TestAccount } from '../testing/fixtures.ts';
import { startRouteServer, type RouteServer } from '../testing/routeServer.ts';
import { WebhookDispatcher, type WebhookDispatcherOptions } from './WebhookDispatcher.ts';
import { webhookRoutes } from './webhookRoutes.ts';
import { Webhooks } from './Webhooks.ts';

const quiet = pino({ level: 'silent' });

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/** A real HTTP endpoint standing in for a chat server; `answer` decides each response. */
class Receiver {
  readonly requests: Received[] = [];
  answer: (n: number, res: ServerResponse) => void = (_n, res) => res.end('ok');
  #server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      this.requests.push({ headers: req.headers, body, at: performance.now() });
      this.answer(this.requests.length, res);
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
    return this;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function outcomes(metrics: SocialMetrics): Promise<Record<string, number>> {
  return Object.fromEntries((await metrics.webhookDeliveries.get()).values.map((v) => [String(v.labels.outcome), v.value]));
}

describe.each(platformEngines)('webhooks on $name', (engine) => {
  let db: Database;
  let url: string | undefined;
  let drop: () => Promise<void>;
  let webhooks: Webhooks;
  let server: RouteServer;
  let receiver: Receiver;
  const running: WebhookDispatcher[] = [];

  const dispatcher = (metrics: SocialMetrics, opts: Partial<WebhookDispatcherOptions> = {}): WebhookDispatcher => {
    const d = new WebhookDispatcher({ db, metrics, log: quiet, publicUrl: 'https://vilokanam.test/', allowPrivateTargets: true, pollMs: 10, backoff: { initialMs: 60, maxMs: 2_000, jitter: 0 }, ...opts });
    running.push(d);
    return d;
  };
  const register = async (creator: TestAccount, target = receiver.url): Promise<Webhook> => {
    const res = await server.call<{ webhook: Webhook }>(creator.cookie, 'POST', '/me/webhooks', { url: target });
    expect(res.status).toBe(201);
    return res.body.webhook;
  };

  beforeAll(async () => {
    ({ db, url, drop } = await engine.open());
    webhooks = new Webhooks(db, { allowPrivateTargets: true });
    server = await startRouteServer(db, [webhookRoutes({ webhooks })]);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => d.stop()));
    await receiver?.close();
  });

  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  it('signs each delivery with the secret shown once', async () => {
    receiver = await new Receiver().start();
    const creator = await createAccount(db, 'Signer', { handle: 'signer' });
    const hook = await register(creator);
    expect(hook.secret).toMatch(/^[0-9a-f]{64}$/);
    const listed = await server.call<{ webhooks: Webhook[] }>(creator.cookie, 'GET', '/me/webhooks');
    expect(listed.body.webhooks).toEqual([{ id: hook.id, url: receiver.url, createdAt: hook.createdAt, lastStatus: null }]);

    const metrics = new SocialMetrics();
    const d = dispatcher(metrics);
    d.start();
    const stream = await createStream(db, creator.id, { title: 'Signed', category: 'art' });
    expect(await d.enqueueLive(stream)).toBe(1);
    const got = await until(() => receiver.requests[0]);

    const timestamp = String(got.headers['x-vilokanam-timestamp']);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    const expected = createHmac('sha256', hook.secret!).update(`${timestamp}.${got.body}`).digest('hex');
    const signature = String(got.headers['x-vilokanam-signature']);
    expect(signature.startsWith('sha256=')).toBe(true);
    expect(timingSafeEqual(Buffer.from(signature.slice(7), 'hex'), Buffer.from(expected, 'hex'))).toBe(true);
    const forged = createHmac('sha256', 'f'.repeat(64)).update(`${timestamp}.${got.body}`).digest('hex');
    expect(signature).not.toBe(`sha256=${forged}`);

    const body = JSON.parse(got.body) as LiveWebhookBody;
    expect(body).toEqual({
      event: 'stream.live',
      deliveryId: got.headers['x-vilokanam-delivery'],
      creator: { id: creator.id, handle: 'signer', displayName: 'Signer' },
      stream: { id: stream, title: 'Signed', category: 'art', url: `https://vilokanam.test/watch/${stream}` },
      sentAt: expect.stringMatching(/^\d{4}-/),
    });
    expect(got.headers['content-type']).toBe('application/json');
    await until(async () => (await webhooks.list(creator.id))[0]?.lastStatus === '200');
    expect(await outcomes(metrics)).toEqual({ delivered: 1 });
    // The secret never appears again.
    expect(JSON.stringify((await server.call(creator.cookie, 'GET', '/me/webhooks')).body)).not.toContain(hook.secret);
  });

  it('retries a failing receiver with growing delays and delivers once', async () => {
    receiver = await new Receiver().start();
    receiver.answer = (n, res) => {
      res.statusCode = n <= 2 ? 503 : 200;
      res.end();
    };
    const creator = await createAccount(db, 'Retrier');
    const hook = await register(creator);
    const metrics = new SocialMetrics();
    const d = dispatcher(metrics);
    d.start();
    const stream = await createStream(db, creator.id);
    expect(await d.enqueueLive(stream)).toBe(1);
    // A repeated go-live report queues nothing more.
    expect(await d.enqueueLive(stream)).toBe(0);

    await until(async () => (await outcomes(metrics)).delivered === 1);
    await new Promise((r) => setTimeout(r, 300)); // nothing more may arrive after the success
    expect(receiver.requests).toHaveLength(3);
    const ids = new Set(receiver.requests.map((r) => r.headers['x-vilokanam-delivery']));
    expect(ids.size).toBe(1);
    const [a, b, c] = receiver.requests.map((r) => r.at);
    const first = b! - a!;
    const second = c! - b!;
    expect(first).toBeGreaterThanOrEqual(55); // backoff 60 ms, then 120 ms
    expect(second).toBeGreaterThanOrEqual(115);
    expect(second).toBeGreaterThan(first);
    expect(await outcomes(metrics)).toEqual({ retry: 2, delivered: 1 });
    const [row] = await db.query<{ state: string; attempts: number; last_status: string }>('SELECT state, attempts, last_status FROM webhook_deliveries WHERE webhook = $1', [hook.id]);
    expect(row).toEqual({ state: 'delivered', attempts: 3, last_status: '200' });
  });

  it('gives up after the last attempt, and counts a timeout as a failure', async () => {
    receiver = await new Receiver().start();
    receiver.answer = () => undefined; // never answers
    const creator = await createAccount(db, 'Hopeless');
    const hook = await register(creator);
    const metrics = new SocialMetrics();
    const d = dispatcher(metrics, { maxAttempts: 3, timeoutMs: 100, backoff: { initialMs: 20, maxMs: 40, jitter: 0 } });
    d.start();
    await d.enqueueLive(await createStream(db, creator.id));
    await until(async () => (await outcomes(metrics)).failed === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toHaveLength(3);
    expect(await outcomes(metrics)).toEqual({ retry: 2, failed: 1 });
    const [row] = await db.query<{ state: string; attempts: number; last_status: string }>('SELECT state, attempts, last_status FROM webhook_deliveries WHERE webhook = $1', [hook.id]);
    expect(row).toEqual({ state: 'failed', attempts: 3, last_status: 'timeout' });
    expect((await webhooks.list(creator.id))[0]!.lastStatus).toBe('timeout');
  });

  it('delivers once when two replicas share the queue', async () => {
    receiver = await new Receiver().start();
    receiver.answer = (_n, res) => setTimeout(() => res.end('ok'), 15);
    const creator = await createAccount(db, 'Popular');
    for (let i = 0; i < 5; i++) await register(creator);
    // Two replicas are two connection pools on Postgres; PGlite has one connection to share.
    const other = url ? await openDatabase({ databaseUrl: url, dataDir: '' }, quiet) : db;
    try {
      const metrics = new SocialMetrics();
      const otherMetrics = new SocialMetrics();
      const one = dispatcher(metrics, { batch: 2 });
      const two = new WebhookDispatcher({ db: other, metrics: otherMetrics, log: quiet, publicUrl: 'https://vilokanam.test', allowPrivateTargets: true, pollMs: 10, batch: 2 });
      running.push(two);
      const streams = await Promise.all([1, 2, 3, 4].map(() => createStream(db, creator.id)));
      // Both replicas hear of every go-live, as when a report is repeated.
      const queued = await Promise.all(streams.flatMap((s) => [one.enqueueLive(s), two.enqueueLive(s)]));
      expect(queued.reduce((x, y) => x + y, 0)).toBe(20);
      one.start();
      two.start();
      const delivered = async () => ((await outcomes(metrics)).delivered ?? 0) + ((await outcomes(otherMetrics)).delivered ?? 0);
      await until(async () => (await delivered()) === 20);
      await new Promise((r) => setTimeout(r, 200));
      const deliveries = receiver.requests.map((r) => String(r.headers['x-vilokanam-delivery']));
      expect(deliveries).toHaveLength(20);
      expect(new Set(deliveries).size).toBe(20);
      expect(await delivered()).toBe(20);
      // Both replicas took a share of the work.
      expect((await outcomes(metrics)).delivered).toBeGreaterThan(0);
      expect((await outcomes(otherMetrics)).delivered).toBeGreaterThan(0);
      expect(Object.keys({ ...(await outcomes(metrics)), ...(await outcomes(otherMetrics)) })).toEqual(['delivered']);
    } finally {
      await Promise.all(running.splice(0).map((d) => d.stop()));
      if (other !== db) await other.close();
    }
  });

  it('bounds webhooks per creator, removes them, and keeps each creator to their own', async () => {
    const creator = await createAccount(db, 'Bounded');
    const stranger = await createAccount(db, 'Stranger');
    const made: Webhook[] = [];
    for (let i = 0; i < 5; i++) made.push(await register(creator, `https://chat.example.org/hook/${i}`));
    const sixth = await server.call(creator.cookie, 'POST', '/me/webhooks', { url: 'https://chat.example.org/hook/6' });
    expect(sixth).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    expect((await server.call(stranger.cookie, 'DELETE', `/me/webhooks/${made[0]!.id}`)).status).toBe(404);
    expect((await server.call(creator.cookie, 'DELETE', `/me/webhooks/${made[0]!.id}`)).status).toBe(204);
    expect((await server.call(creator.cookie, 'DELETE', `/me/webhooks/${made[0]!.id}`)).status).toBe(404);
    expect((await server.call(creator.cookie, 'DELETE', '/me/webhooks/nope')).status).toBe(404);
    expect((await webhooks.list(creator.id)).map((w) => w.id)).toEqual(made.slice(1).map((w) => w.id));
    expect((await server.call(null, 'GET', '/me/webhooks')).status).toBe(401);
    expect((await server.call(creator.cookie, 'POST', '/me/webhooks', { url: 'ftp://example.org/' })).status).toBe(400);
  });

  it('refuses loopback, private and metadata targets unless allowed', async () => {
    const strict = await startRouteServer(db, [webhookRoutes({ webhooks: new Webhooks(db) })]);
    try {
      const creator = await createAccount(db, 'Prober');
      for (const target of ['http://127.0.0.1:8080/', 'http://localhost/', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:9000/', 'http://10.1.2.3/']) {
        const res = await strict.call(creator.cookie, 'POST', '/me/webhooks', { url: target });
        expect(res, target).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
      }
      expect(await webhooks.list(creator.id)).toEqual([]);
      expect((await strict.call(creator.cookie, 'POST', '/me/webhooks', { url: 'https://chat.example.org/hook' })).status).toBe(201);
    } finally {
      await strict.close();
    }
  });

  it('never sends to a private address when private targets are not allowed', async () => {
    receiver = await new Receiver().start();
    const creator = await createAccount(db, 'Rebinder');
    // Registered while allowed (or via a name that later resolved inward): the send refuses it.
    await register(creator, receiver.url.replace('127.0.0.1', 'localhost'));
    const metrics = new SocialMetrics();
    const d = dispatcher(metrics, { allowPrivateTargets: false });
    d.start();
    await d.enqueueLive(await createStream(db, creator.id));
    await until(async () => (await outcomes(metrics)).blocked === 1);
    expect(receiver.requests).toHaveLength(0);
    const [row] = await db.query<{ state: string; attempts: number }>('SELECT d.state, d.attempts FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook WHERE w.creator = $1', [creator.id]);
    expect(row).toEqual({ state: 'failed', attempts: 1 });
  });
});
