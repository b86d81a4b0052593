// Signaling scaled out: several replicas in fleet mode on one Postgres, one Redis and one
// sfu-node, with no affinity between a stream and a replica. Two run in this process; a third
// is its own process, so that it can be killed the way a node kills a pod.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OVERDRAFT_CHANNEL } from '@vilokanam/contracts/ticks';
import { Ledger } from '@vilokanam/settlement';
import { waitFor } from '@vilokanam/testkit';
import { AuthClient, WsTestClient, newPair } from '@vilokanam/testkit/clients';
import { SfuProcess } from '@vilokanam/testkit/media';
import { createPostgresDatabase } from '@vilokanam/testkit/postgres';
import { signalingConfigFromEnv } from '../config.ts';
import { startPlatform, type Platform } from '../Platform.ts';
import { hubChannel } from './HubMessage.ts';
import { accountSessionsKey } from './RedisAccountSessions.ts';

const REDIS_URL = process.env.VILO_TEST_REDIS_URL_REPLICAS ?? 'redis://127.0.0.1:6379/14';
const FLEET = `replicas-${randomBytes(3).toString('hex')}`;
const LEASE_SECONDS = 3;
const GRACE_MS = 2000;
const PRICE = 1_000_000n;
const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

const secrets = { control: randomBytes(32).toString('hex'), token: randomBytes(24).toString('hex'), session: randomBytes(24).toString('hex') };
let database: { url: string; drop(): Promise<void> };
let node: SfuProcess;
let redis: Redis;
let a: Platform;
let b: Platform;
let creator: AuthClient;
const ended: string[] = [];
const sockets: WsTestClient[] = [];

function env(): Record<string, string> {
  return {
    VILO_PORT: '0',
    VILO_DATABASE_URL: database.url,
    VILO_SFU_MODE: 'fleet',
    VILO_REDIS_URL: REDIS_URL,
    VILO_SFU_CONTROL_SECRET: secrets.control,
    VILO_FLEET: FLEET,
    VILO_TOKEN_SECRET: secrets.token,
    VILO_SESSION_SECRET: secrets.session,
    VILO_PUBLISHER_GRACE_MS: String(GRACE_MS),
    VILO_LIVE_LEASE_SECONDS: String(LEASE_SECONDS),
    VILO_MAX_STREAMS_PER_ACCOUNT: '100',
    // The creator's viewer tabs add up across tests and replicas, as the cap counts them.
    VILO_MAX_SESSIONS_PER_ACCOUNT: '100',
    VILO_MAX_PRICE_PER_SECOND: '1000000000',
  };
}

async function replica(extra: Record<string, string> = {}): Promise<Platform> {
  const platform = await startPlatform(signalingConfigFromEnv({ ...env(), ...extra }), { log: pino({ level: 'silent' }) });
  await waitFor('the node to join the fleet', () => platform.fleet.nodes().some((n) => n.ready), 10_000);
  platform.hub.onStreamEnding((id) => ended.push(id));
  return platform;
}

/** A replica in a process of its own: main.ts, as the image runs it. */
async function replicaProcess(): Promise<{ url: string; child: ChildProcess; kill(): Promise<void> }> {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env(), VILO_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the replica did not start within 30 s')), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /Vilokanam is running: (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(() => reject(new Error(`the replica exited before starting: ${out.slice(-500)}`)));
  });
  return {
    url,
    child,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

beforeAll(async () => {
  database = await createPostgresDatabase();
  redis = new Redis(REDIS_URL);
  // Test sockets never finish ICE: the node must not close their transports meanwhile.
  node = await SfuProcess.start({
    nodeId: 'r1', ip: '127.0.0.1', redisUrl: REDIS_URL, controlSecret: secrets.control, rtcMinPort: 48500, rtcMaxPort: 48699, fleet: FLEET,
    env: { VILO_SFU_CONNECT_TIMEOUT_MS: '300000' },
  });
  a = await replica();
  b = await replica();
  creator = new AuthClient(a.url);
  expect((await creator.signIn(newPair('sr25519'))).status).toBe(200);
}, 90_000);

afterAll(async () => {
  for (const s of sockets) s.socket.terminate();
  await a?.close();
  await b?.close();
  await node?.stop();
  redis?.disconnect();
  await database?.drop();
});

async function connect(url: string): Promise<WsTestClient> {
  const ws = await WsTestClient.connect(url);
  sockets.push(ws);
  return ws;
}

async function liveStream(price = 0n): Promise<{ id: string; key: string }> {
  const created = await creator.call('/streams', { body: { title: 'Across replicas', category: 'music', ...(price ? { pricePerSecond: price.toString() } : {}) } });
  expect(created.status).toBe(201);
  const { id } = created.body.stream;
  const key: string = created.body.streamKey;
  expect((await creator.call(`/streams/${id}/start`, { method: 'POST', headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
  return { id, key };
}

async function token(id: string, role: 'viewer' | 'publisher', key?: string, client: AuthClient = creator): Promise<string> {
  const res = await client.call(`/streams/${id}/tokens`, { body: { role }, headers: key ? { authorization: `Bearer ${key}` } : {} });
  expect(res.status).toBe(200);
  return res.body.token;
}

async function join(url: string, id: string, role: 'viewer' | 'publisher', key?: string, client?: AuthClient): Promise<{ ws: WsTestClient; data: any }> {
  const ws = await connect(url);
  const joined = await ws.request('join', { token: await token(id, role, key, client) });
  expect(joined.error).toBeUndefined();
  return { ws, data: joined.data };
}

/** Produces audio (any SSRC) on the publisher's send transport, made on first use. */
async function produce(pub: WsTestClient, ssrc: number): Promise<string> {
  let transportId = (pub as unknown as { transportId?: string }).transportId;
  if (!transportId) {
    transportId = (await pub.request('createTransport', { direction: 'send' })).data.id as string;
    (pub as unknown as { transportId?: string }).transportId = transportId;
  }
  const rtpParameters = { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [{ ssrc }] };
  const produced = await pub.request('produce', { transportId, kind: 'audio', rtpParameters });
  expect(produced.error).toBeUndefined();
  return produced.data.id;
}

async function status(id: string): Promise<{ status: string; holder: string | null; until: Date | null; endedAt: Date | null }> {
  const [row] = await a.db.query<{ status: string; holder: string | null; until: Date | null; ended_at: Date | null }>(
    'SELECT status, live_lease_holder AS holder, live_lease_until AS until, ended_at FROM streams WHERE id = $1',
    [id],
  );
  return { status: row!.status, holder: row!.holder, until: row!.until && new Date(row!.until), endedAt: row!.ended_at && new Date(row!.ended_at) };
}

async function malformed(platform: Platform, source: string): Promise<number> {
  const text = await (await fetch(`${platform.opsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`vilo_malformed_messages_total{source="${source}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('two replicas, one stream', () => {
  it('tells a viewer on B of producers published on A, and counts the viewers of both', async () => {
    const { id, key } = await liveStream();
    const pub = await join(a.url, id, 'publisher', key);
    const first = await produce(pub.ws, 1111);
    const onB = await join(b.url, id, 'viewer');
    expect(onB.data.producers.map((p: { producerId: string }) => p.producerId)).toEqual([first]);
    const second = await produce(pub.ws, 2222);
    expect(await onB.ws.waitForEvent('producerAdded', (d) => d.producerId === second)).toEqual({ producerId: second, kind: 'audio' });

    const onA = await join(a.url, id, 'viewer');
    await onB.ws.waitForEvent('viewers', (d) => d.count === 2);
    await onA.ws.waitForEvent('viewers', (d) => d.count === 2);
    for (const p of [a, b]) expect(p.hub.viewerCount(id)).toBe(2);
    expect((await creator.call(`/streams/${id}`)).body.stream.viewers).toBe(2);
    await waitFor('the database to hold the total', async () => (await a.db.query<{ viewers: number }>('SELECT viewers FROM streams WHERE id = $1', [id]))[0]!.viewers === 2, 5000);
    await waitFor('B to know of the publisher on A', () => a.hub.hasPublisher(id) && b.hub.hasPublisher(id), 3000);

    onB.ws.close();
    await onA.ws.waitForEvent('viewers', (d) => d.count === 1);
  });

  it('keeps the stream live when its publisher leaves A and comes back on B, and ends it everywhere once it is gone for good', async () => {
    const { id, key } = await liveStream();
    const pub = await join(a.url, id, 'publisher', key);
    await produce(pub.ws, 3333);
    const onA = await join(a.url, id, 'viewer');
    const onB = await join(b.url, id, 'viewer');
    await waitFor('A to hold the lease', async () => (await status(id)).holder === a.hub.replicaId, 3000);

    pub.ws.close();
    await sleep(200);
    const again = await join(b.url, id, 'publisher', key);
    const fresh = await produce(again.ws, 4444);
    await onA.ws.waitForEvent('producerAdded', (d) => d.producerId === fresh);
    await waitFor('B to hold the lease', async () => (await status(id)).holder === b.hub.replicaId, 3000);
    // A's grace runs out with the stream on B: it stays live.
    await sleep(GRACE_MS + 500);
    expect((await status(id)).status).toBe('live');
    expect([...onA.ws.events, ...onB.ws.events].map((e) => e.event)).not.toContain('streamEnded');

    again.ws.close();
    for (const v of [onA, onB]) expect(await v.ws.waitForEvent('streamEnded', () => true, GRACE_MS + 3000)).toEqual({ reason: 'publisher_left' });
    expect((await status(id)).status).toBe('ended');
    await sleep(300);
    expect(ended.filter((e) => e === id)).toHaveLength(1);
    for (const v of [onA, onB]) expect(v.ws.events.filter((e) => e.event === 'streamEnded')).toHaveLength(1);
  }, 20_000);
});

describe('a replica killed mid-stream', () => {
  it('loses no stream whose publisher reconnects, and ends the others once their lease has passed, exactly once', async () => {
    const c = await replicaProcess();
    const returning = await liveStream();
    const abandoned = await liveStream();
    const pubReturning = await join(c.url, returning.id, 'publisher', returning.key);
    await produce(pubReturning.ws, 5555);
    const pubAbandoned = await join(c.url, abandoned.id, 'publisher', abandoned.key);
    await produce(pubAbandoned.ws, 6666);
    const viewers = {
      returning: [await join(a.url, returning.id, 'viewer'), await join(b.url, returning.id, 'viewer')],
      abandoned: [await join(a.url, abandoned.id, 'viewer'), await join(b.url, abandoned.id, 'viewer')],
    };
    const viewerOnC = await join(c.url, returning.id, 'viewer');
    await viewers.returning[0]!.ws.waitForEvent('viewers', (d) => d.count === 3);
    const heldByC = async (id: string) => ![null, a.hub.replicaId, b.hub.replicaId].includes((await status(id)).holder);
    await waitFor('C to hold both leases', async () => (await heldByC(returning.id)) && (await heldByC(abandoned.id)), 3000);

    await c.kill();
    const killedAt = Date.now();
    const atDeath = await status(abandoned.id);
    expect(atDeath.status).toBe('live');
    const leaseAtDeath = atDeath.until!;
    // Every tab on C lost its socket and comes back through another replica.
    await viewerOnC.ws.closed;
    await pubReturning.ws.closed;
    const back = await join(b.url, returning.id, 'viewer');
    const pubBack = await join(a.url, returning.id, 'publisher', returning.key);
    const fresh = await produce(pubBack.ws, 7777);
    await back.ws.waitForEvent('producerAdded', (d) => d.producerId === fresh);
    for (const v of viewers.returning) await v.ws.waitForEvent('producerAdded', (d) => d.producerId === fresh);
    // C's viewer stops counting once C has been silent for a lease.
    await sleep(killedAt + LEASE_SECONDS * 1000 + 600 - Date.now());
    await waitFor('the count without C', () => a.hub.viewerCount(returning.id) === 3 && b.hub.viewerCount(returning.id) === 3, 3000);

    for (const v of viewers.abandoned) expect(await v.ws.waitForEvent('streamEnded', () => true, LEASE_SECONDS * 1000 + 5000)).toEqual({ reason: 'publisher_left' });
    const after = await status(abandoned.id);
    expect(after.status).toBe('ended');
    expect(after.endedAt!.getTime()).toBeGreaterThanOrEqual(leaseAtDeath.getTime());
    await sleep(LEASE_SECONDS * 1000);
    expect(ended.filter((e) => e === abandoned.id)).toHaveLength(1);
    for (const v of viewers.abandoned) expect(v.ws.events.filter((e) => e.event === 'streamEnded')).toHaveLength(1);
    expect((await status(returning.id))).toMatchObject({ status: 'live', holder: a.hub.replicaId });
    expect([...viewers.returning, back].flatMap((v) => v.ws.events).map((e) => e.event)).not.toContain('streamEnded');
  }, 90_000);

  it('ends nothing whose lease is fresh when a replica starts', async () => {
    const { id, key } = await liveStream();
    await join(a.url, id, 'publisher', key);
    const started = await replica();
    try {
      await sleep(LEASE_SECONDS * 1000);
      expect((await status(id)).status).toBe('live');
    } finally {
      await started.close();
    }
  }, 30_000);
});

describe('the hub bus', () => {
  it('drops malformed messages and counts them, and believes no forged ending or publisher', async () => {
    const { id, key } = await liveStream();
    const pub = await join(a.url, id, 'publisher', key);
    const viewer = await join(b.url, id, 'viewer');
    await waitFor('A to hold the lease', async () => (await status(id)).holder === a.hub.replicaId, 3000);
    const before = await malformed(b, 'hub');
    const channel = hubChannel(FLEET);
    for (const junk of [
      'not json',
      '{"t":"ended"}',
      JSON.stringify({ t: 'viewers', replica: 'evil', streamId: id, count: -1 }),
      JSON.stringify({ t: 'producer', replica: 'evil', streamId: id, nodeId: 'r1', producerId: 'x', kind: 'smell' }),
      JSON.stringify({ t: 'alive', replica: 'evil', viewers: { constructor: 5 }, publishers: {} }),
      JSON.stringify({ t: 'teleport', replica: 'evil', streamId: id }),
      JSON.stringify({ __proto__: { polluted: true }, t: 'gone', replica: 'evil/../x' }),
    ]) await redis.publish(channel, junk);
    // Well-formed, but the database says otherwise.
    await redis.publish(channel, JSON.stringify({ t: 'ended', replica: 'evil', streamId: id, reason: 'stopped' }));
    await redis.publish(channel, JSON.stringify({ t: 'publisher', replica: 'evil', streamId: id, present: true, since: Date.now() }));
    await waitFor('the junk to be counted', async () => (await malformed(b, 'hub')) - before >= 7, 5000);
    await sleep(300);
    expect(viewer.ws.events.map((e) => e.event)).not.toContain('streamEnded');
    expect(pub.ws.socket.readyState).toBe(pub.ws.socket.OPEN);
    expect((await status(id))).toMatchObject({ status: 'live', holder: a.hub.replicaId });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('sessions per account', () => {
  it('are bounded across replicas, and a tab closed on one makes room on the other', async () => {
    const [c, d] = [await replica({ VILO_MAX_SESSIONS_PER_ACCOUNT: '2' }), await replica({ VILO_MAX_SESSIONS_PER_ACCOUNT: '2' })];
    try {
      const { id, key } = await liveStream();
      await join(a.url, id, 'publisher', key);
      const viewer = new AuthClient(a.url);
      const viewerId: string = (await viewer.signIn(newPair('sr25519'))).body.account.id;
      const onC = await join(c.url, id, 'viewer', undefined, viewer);
      await join(d.url, id, 'viewer', undefined, viewer);
      // Each replica holds one of the two: counted apart, either would take another.
      for (const url of [c.url, d.url]) {
        const refused = await (await connect(url)).request('join', { token: await token(id, 'viewer', undefined, viewer) });
        expect(refused.error).toMatchObject({ code: 'rate_limited' });
      }
      onC.ws.close();
      await waitFor('the closed tab to be released', async () => (await redis.zcard(accountSessionsKey(FLEET, viewerId))) === 1, 3000);
      await join(d.url, id, 'viewer', undefined, viewer);
    } finally {
      await c.close();
      await d.close();
    }
  }, 30_000);
});

describe('overdrafts', () => {
  it('stop every session of the account on every replica, and no one else', async () => {
    const { id } = await liveStream(PRICE);
    const payer = new AuthClient(a.url);
    const payerId: string = (await payer.signIn(newPair('sr25519'))).body.account.id;
    const other = new AuthClient(a.url);
    const otherId: string = (await other.signIn(newPair('sr25519'))).body.account.id;
    const ledger = new Ledger(a.db);
    for (const account of [payerId, otherId]) await ledger.creditDeposit({ chainId: `test:replicas:${account}`, account, amount: PRICE * 10_000n });
    const onA = await join(a.url, id, 'viewer', undefined, payer);
    const onB = await join(b.url, id, 'viewer', undefined, payer);
    const bystander = await join(b.url, id, 'viewer', undefined, other);
    await redis.publish(OVERDRAFT_CHANNEL, JSON.stringify({ v: 1, sessionId: onA.data.sessionId, viewer: payerId, stream: id, window: 1, unbilledSeconds: 2 }));
    for (const v of [onA, onB]) expect((await v.ws.waitForEvent('overdraft')).topUpUrl).toBe('/wallet');
    await sleep(300);
    expect(bystander.ws.events.map((e) => e.event)).not.toContain('overdraft');
    // A message naming nobody here stops nobody.
    await redis.publish(OVERDRAFT_CHANNEL, JSON.stringify({ v: 1, sessionId: randomUUID(), viewer: 'nobody', stream: id, window: 1, unbilledSeconds: 2 }));
    await sleep(300);
    expect(bystander.ws.events.map((e) => e.event)).not.toContain('overdraft');
  });
});
