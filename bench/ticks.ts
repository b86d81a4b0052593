// Pay-per-second settlement throughput: ticks settled per second from Redis into the
// Postgres ledger, end to end, with every tick accounted for.
// Method: SESSIONS viewer sessions each tick for SECONDS seconds (20% of seconds stalled, 5%
// retried as duplicates) into real Redis with the shared recordTicks(); every window is
// closed. Then one SettlementWorker.runOnce() drains them all into a fresh Postgres database:
// SSCAN of the window index, one EVAL for the batch's tick counts + pipelined session reads,
// BATCH (10,000) windows per ledger
// transaction (multi-row unnest statements), MULTI cleanup, the next batch's Redis reads
// overlapping the current batch's transaction. Verified after: windows, seconds and billed
// seconds equal what was recorded, Redis holds only session hashes, the ledger audit is clean.
// CPU: this process, redis-server and the Postgres processes serving the bench database,
// from /proc, so "per core" is ticks per CPU-second actually spent.
// Usage: source scripts/node.sh && node bench/ticks.ts   (env SESSIONS, SECONDS, BATCH, WINDOW)
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { openViewerSession, recordTicks, TICK_INDEX_KEY } from '@vilokanam/contracts/ticks';
import { auditLedger, Ledger, openDatabase, SettlementWorker } from '@vilokanam/settlement';

const SESSIONS = Number(process.env.SESSIONS ?? 2000);
const SECONDS = Number(process.env.SECONDS ?? 600);
const BATCH = Number(process.env.BATCH ?? 10_000);
const W = Number(process.env.WINDOW ?? 10);
const VIEWERS = Math.min(SESSIONS, 1000);
const PG_URL = process.env.VILO_BENCH_DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.VILO_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
const CLK_TCK = 100;

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

function pidsNamed(name: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    });
}

/** Postgres background processes whose work the bench causes (WAL, checkpoints). */
function pgBackground(): number[] {
  return pidsNamed('postgres').filter((p) => {
    try {
      return /walwriter|checkpointer|background writer|walsummarizer/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  });
}

const log = pino({ level: 'warn' });
const dbName = `vilo_bench_${randomUUID().slice(0, 8)}`;
const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
await admin.end();
const url = new URL(PG_URL);
url.pathname = `/${dbName}`;
const db = await openDatabase({ databaseUrl: url.toString(), dataDir: '' }, log);
const redis = new Redis(REDIS_URL);
await redis.flushdb();

try {
  const ledger = new Ledger(db);
  for (let v = 0; v < VIEWERS; v++) await ledger.creditDeposit({ chainId: `bench:${v}`, account: `viewer-${v}`, amount: 10n ** 20n });

  // Record: deterministic pseudo-random stalls and retries, so counts are known exactly.
  let x = 12345;
  const rand = (): number => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const base = Math.floor((Date.now() / 1000 - SECONDS - 3600) / W) * W;
  let distinct = 0;
  let sent = 0;
  const loadStart = performance.now();
  let buf: { sessionId: string; unixSecond: number }[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const sessionId = randomUUID();
    await openViewerSession(redis, {
      sessionId,
      viewer: `viewer-${i % VIEWERS}`,
      creator: `creator-${i % 50}`,
      stream: `stream-${i % 50}`,
      pricePerSecond: BigInt(1000 + (i % 977)),
      joinedAt: base * 1000,
    });
    for (let s = base; s < base + SECONDS; s++) {
      if (rand() < 0.2) continue;
      distinct++;
      buf.push({ sessionId, unixSecond: s });
      if (rand() < 0.05) buf.push({ sessionId, unixSecond: s });
    }
    if (buf.length >= 20_000) {
      sent += buf.length;
      await recordTicks(redis, buf, W);
      buf = [];
    }
  }
  sent += buf.length;
  await recordTicks(redis, buf, W);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const windows = await redis.scard(TICK_INDEX_KEY);

  // Settle, timed, with CPU accounting.
  const worker = new SettlementWorker({ redis, ledger, log, windowSeconds: W, graceSeconds: 5, batchSize: BATCH });
  const backendPids = async (): Promise<number[]> =>
    (await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [dbName])).map((r) => r.pid);
  await db.query('SELECT 1'); // warm one pooled connection
  const watched = [process.pid, ...pidsNamed('redis-server'), ...pgBackground(), ...(await backendPids())];
  const cpuBefore = new Map(watched.map((p) => [p, cpuTicks(p)]));
  const stat0 = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const t0 = performance.now();
  const sum = await worker.runOnce();
  const seconds = (performance.now() - t0) / 1000;
  const stat1 = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  // Backends opened during the run count from zero.
  const backends = await backendPids();
  // A process gone by now (an idle pooled backend closed) reads 0: count nothing for it.
  const used = (p: number): number => Math.max(0, cpuTicks(p) - (cpuBefore.get(p) ?? 0));
  const nodeCpu = used(process.pid);
  let pgCpu = 0;
  for (const p of backends) pgCpu += used(p);
  let cpu = pgCpu;
  for (const p of cpuBefore.keys()) if (!backends.includes(p)) cpu += used(p);
  const cpuSeconds = cpu / CLK_TCK;
  const idle = (stat1[3]! + stat1[4]!) - (stat0[3]! + stat0[4]!);
  const total = stat1.reduce((a, b) => a + b, 0) - stat0.reduce((a, b) => a + b, 0);
  const machineBusyCores = ((total - idle) / total) * os.cpus().length;

  // Verify: nothing lost, nothing doubled.
  const [row] = await db.query<{ n: number; s: number; b: number }>(
    'SELECT count(*)::int AS n, sum(seconds)::int AS s, sum(billed_seconds)::int AS b FROM settled_windows',
  );
  const leftKeys = await redis.dbsize();
  const problems = await auditLedger(db);
  const ok = row!.n === windows && row!.s === distinct && row!.b === distinct && sum.ticks === distinct && leftKeys === SESSIONS && problems.length === 0;

  const tps = distinct / seconds;
  console.log(`settlement bench: ${SESSIONS} sessions × ${SECONDS} s, W=${W} s, batch ${BATCH} windows/txn`);
  console.log(`  recorded: ${sent} tick calls (${sent - distinct} duplicates), ${distinct} distinct ticks in ${windows} windows, loaded in ${loadSeconds.toFixed(1)} s`);
  console.log(`  settled:  ${sum.ticks} ticks, ${sum.settled + sum.overdrawn} windows in ${sum.batches} transactions, ${seconds.toFixed(2)} s`);
  console.log(`  throughput: ${Math.round(tps).toLocaleString('en')} ticks/s (${Math.round(windows / seconds).toLocaleString('en')} windows/s); target ≥ 100,000 ticks/s`);
  console.log(
    `  CPU: ${cpuSeconds.toFixed(2)} CPU-s (node ${(nodeCpu / CLK_TCK).toFixed(2)}, postgres backends ${(pgCpu / CLK_TCK).toFixed(2)}, redis + postgres background ${((cpu - nodeCpu - pgCpu) / CLK_TCK).toFixed(2)}) → ${Math.round(distinct / cpuSeconds).toLocaleString('en')} ticks per CPU-second (per core); machine busy ${machineBusyCores.toFixed(2)} of ${os.cpus().length} cores, load avg ${os.loadavg()[0]!.toFixed(1)}`,
  );
  console.log(`  verified: windows ${row!.n}/${windows}, seconds ${row!.s}/${distinct}, billed ${row!.b}/${distinct}, redis keys left ${leftKeys} (session hashes), audit ${problems.length ? problems.join('; ') : 'clean'} → ${ok ? 'OK' : 'MISMATCH'}`);
  if (!ok) process.exitCode = 1;
} finally {
  await redis.flushdb();
  redis.disconnect();
  await db.close();
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await c.end();
}
