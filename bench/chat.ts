// Chat fan-out: one room, CLIENTS sockets split across 2 social instances (child processes)
// on real Postgres and Redis, RATE messages a second from SENDERS signed-in accounts. Each
// message's text carries its send time; every socket's receive time is read on the same clock
// (the host's, read in the client processes), so latency is send → receive. Printed: delivered messages per second, p50,
// p99 and max latency, and losses; then a ramp of rates to find the highest whose p99 stays
// ≤ 250 ms. Baseline, same run and clients: a bare ws relay (no sign-in, rules, DB or Redis).
// Usage: npm run bench:chat   (env CLIENTS, RATE, SECONDS, SENDERS)
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import WebSocket from 'ws';
import { openDatabase } from '@vilokanam/signaling';
import { createAccount, createStream } from '@vilokanam/social/testing';
import { createPostgresDatabase } from '@vilokanam/testkit/postgres';

const CLIENTS = Number(process.env.CLIENTS ?? 5000);
const RATE = Number(process.env.RATE ?? 50);
const SECONDS = Number(process.env.SECONDS ?? 20);
const SENDERS = Number(process.env.SENDERS ?? 200);
const RAMP = (process.env.RAMP ?? '10,25,50,100,200').split(',').map(Number);
const REDIS_URL = process.env.VILO_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

interface Server {
  url: string;
  child: ChildProcess;
}

function start(script: string, env: Record<string, string>): Promise<Server> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
    child.stdout!.on('data', (b: Buffer) => {
      const m = /ready (\d+)/.exec(b.toString());
      if (m) resolve({ url: `ws://127.0.0.1:${m[1]}/api/v1/chat`, child });
    });
  });
}

const now = () => performance.timeOrigin + performance.now();
const CLIENT_PROCS = Number(process.env.CLIENT_PROCS ?? 2);

interface Phase {
  sent: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
}

/** The audience: CLIENTS sockets in CLIENT_PROCS processes, timing on the host's clock. */
class Audience {
  readonly #procs: ChildProcess[] = [];

  static async start(urls: string[], room: string, count: number): Promise<Audience> {
    const a = new Audience();
    const per = Math.ceil(count / CLIENT_PROCS);
    await Promise.all(
      Array.from({ length: CLIENT_PROCS }, async (_, i) => {
        const child = fork(fileURLToPath(new URL('./lib/chatClients.ts', import.meta.url)), {
          env: { ...process.env, URLS: urls.join(','), ROOM: room, COUNT: String(Math.min(per, count - i * per)) },
        });
        a.#procs.push(child);
        await new Promise<void>((resolve, reject) => {
          child.once('message', () => resolve());
          child.once('exit', (code) => reject(new Error(`chat clients exited ${code}`)));
        });
      }),
    );
    process.stderr.write(`[chat] ${count} sockets joined\n`);
    return a;
  }

  start(): void {
    for (const p of this.#procs) p.send({ cmd: 'start' });
  }

  /** Merges the processes' histograms. */
  async stop(sent: number): Promise<Phase> {
    const parts = await Promise.all(
      this.#procs.map(
        (p) =>
          new Promise<{ n: number; max: number; buckets: [number, number][]; bucketMs: number }>((resolve) => {
            p.once('message', (m) => resolve(m as never));
            p.send({ cmd: 'stop' });
          }),
      ),
    );
    const counts = new Map<number, number>();
    for (const part of parts) for (const [i, c] of part.buckets) counts.set(i, (counts.get(i) ?? 0) + c);
    const delivered = parts.reduce((n, p) => n + p.n, 0);
    const sorted = [...counts].sort((x, y) => x[0] - y[0]);
    const at = (q: number): number => {
      let seen = 0;
      for (const [i, c] of sorted) if ((seen += c) >= q * delivered) return (i + 1) * parts[0]!.bucketMs;
      return NaN;
    };
    return { sent, delivered, p50: at(0.5), p99: at(0.99), max: Math.max(...parts.map((p) => p.max)) };
  }

  close(): void {
    for (const p of this.#procs) p.send({ cmd: 'exit' });
  }
}

/** A signed-in (or, for the baseline, plain) socket in the room that sends. */
async function sender(url: string, room: string, cookie?: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers: cookie ? { cookie } : {}, perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const joined = new Promise<void>((resolve) => ws.once('message', () => resolve()));
  ws.send(JSON.stringify({ v: 1, id: 1, type: 'join', data: { room } }));
  await joined;
  return ws;
}

/** Sends `rate` messages a second for `seconds` from the senders in turn. */
async function phase(audience: Audience, senders: WebSocket[], room: string, rate: number, seconds: number): Promise<Phase> {
  audience.start();
  const total = rate * seconds;
  const t0 = now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / rate - now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    senders[i % senders.length]!.send(JSON.stringify({ v: 1, id: 2 + i, type: 'send', data: { room, text: `t:${now()}` } }));
  }
  await new Promise((r) => setTimeout(r, 3000));
  return audience.stop(total);
}

function report(label: string, r: Phase, clients: number, seconds: number): Phase {
  const expected = r.sent * clients;
  console.log(
    `${label}: sent ${r.sent}, delivered ${r.delivered}/${expected} (${((r.delivered / expected) * 100).toFixed(2)}%), ` +
      `${Math.round(r.delivered / seconds)} deliveries/s, latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`,
  );
  return r;
}

async function ramp(label: string, audience: Audience, senders: WebSocket[], room: string): Promise<number> {
  let best = 0;
  for (const rate of RAMP) {
    const r = report(`${label} ramp ${rate} msg/s`, await phase(audience, senders, room, rate, 5), CLIENTS, 5);
    if (r.p99 > 250 || r.delivered < r.sent * CLIENTS) break;
    best = rate;
  }
  return best;
}

const created = await createPostgresDatabase();
const db = await openDatabase({ databaseUrl: created.url, dataDir: '' }, pino({ level: 'warn' }));
const secret = randomBytes(32);
const creator = await createAccount(db, 'Bench creator', { secret });
const senderAccounts = await Promise.all(Array.from({ length: SENDERS }, (_, i) => createAccount(db, `Sender ${i}`, { secret })));
const room = await createStream(db, creator.id, { title: 'Chat bench' });
const env = { DB_URL: created.url, REDIS_URL, SESSION_SECRET: secret.toString('hex'), PREFIX: `vilo:bench:${randomBytes(3).toString('hex')}:` };
const servers: Server[] = [];
try {
  servers.push(await start('./lib/chatInstance.ts', env), await start('./lib/chatInstance.ts', env));
  const urls = servers.map((s) => s.url);
  console.log(`[chat] ${CLIENTS} sockets over 2 social instances, ${SENDERS} senders, ${RATE} msg/s for ${SECONDS} s`);
  const audience = await Audience.start(urls, room, CLIENTS);
  const senders = await Promise.all(senderAccounts.map((a, i) => sender(urls[i % 2]!, room, a.cookie)));
  // Warm-up, not counted: JIT, pools and caches settle as they would in a running service.
  await phase(audience, senders, room, RATE, 3);
  const social = report('vilokanam', await phase(audience, senders, room, RATE, SECONDS), CLIENTS, SECONDS);
  const socialBest = await ramp('vilokanam', audience, senders, room);
  audience.close();
  for (const ws of senders) ws.terminate();

  const raw = await start('./lib/rawChatServer.ts', {});
  servers.push(raw);
  const rawAudience = await Audience.start([raw.url], room, CLIENTS);
  const rawSenders = await Promise.all(senderAccounts.map(() => sender(raw.url, room)));
  await phase(rawAudience, rawSenders, room, RATE, 3);
  const base = report('baseline (bare ws relay, 1 process)', await phase(rawAudience, rawSenders, room, RATE, SECONDS), CLIENTS, SECONDS);
  const rawBest = await ramp('baseline', rawAudience, rawSenders, room);
  rawAudience.close();
  for (const ws of rawSenders) ws.terminate();

  console.log(`\n| | p50 ms | p99 ms | highest rate with p99 ≤ 250 ms |\n|---|---|---|---|`);
  console.log(`| Vilokanam chat, 2 instances | ${social.p50.toFixed(1)} | ${social.p99.toFixed(1)} | ${socialBest || `< ${RAMP[0]}`} msg/s |`);
  console.log(`| bare ws relay | ${base.p50.toFixed(1)} | ${base.p99.toFixed(1)} | ${rawBest || `< ${RAMP[0]}`} msg/s |`);
  console.log(`ratio p99 Vilokanam / baseline: ${(social.p99 / base.p99).toFixed(2)}; target p99 ≤ 100 ms at ${RATE} msg/s: ${social.p99 <= 100 ? 'met' : 'NOT met'}`);
} finally {
  for (const s of servers) s.child.kill('SIGKILL');
  await db.close();
  await created.drop();
}
