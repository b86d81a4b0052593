// Search latency at scale, on Postgres and on PGlite: STREAMS streams (1 in 100 live, the rest
// ended) and CREATORS creators with profiles and follows, seeded with generate_series INSERTs
// into a fresh, fully migrated database per engine. QUERIES varied queries (title words, typos
// of them, phrases, names, handles, categories, tags, prefixes, hostile text; pages 1 to 3) run
// through the service's own Search. The baseline, in the same run and on the same data, is the
// search one would write first: ILIKE '%q%' over titles, names, handles and category names,
// live first by viewers, without ranking or typo matching. Each query runs both ways, the
// order alternating. Usage: npm run bench:search  (env STREAMS, CREATORS, QUERIES, ENGINES)
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import pino from 'pino';
import type { Database } from '@vilokanam/settlement/db';
import { openDatabase } from '@vilokanam/signaling';
import { Search, SEARCH_SQL, searchText, widenedWords, widenSql } from '@vilokanam/social';
import { percentile } from './lib/proc.ts';
import { benchQueries, containsPattern, seedSearchData, type BenchQuery } from './lib/searchData.ts';

const STREAMS = Number(process.env.STREAMS ?? 100_000);
const CREATORS = Number(process.env.CREATORS ?? 10_000);
const QUERIES = Number(process.env.QUERIES ?? 200);
const WARMUP = 20;
const ENGINES = (process.env.ENGINES ?? 'postgres,pglite').split(',') as ('postgres' | 'pglite')[];
const PG_URL = process.env.VILO_BENCH_DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const TARGET_MS = 50;
const log = pino({ level: 'silent' });

const BASELINE_SQL = {
  streams: `SELECT s.id, s.title FROM streams s
             WHERE s.status <> 'created' AND s.title ILIKE $1
             ORDER BY s.status = 'live' DESC, s.viewers DESC, s.started_at DESC, s.id LIMIT $2 OFFSET $3`,
  creators: `SELECT a.id, a.display_name, p.handle FROM user_accounts a JOIN profiles p ON p.account_id = a.id
              WHERE a.display_name ILIKE $1 OR p.handle ILIKE $1
              ORDER BY a.display_name, a.id LIMIT $2 OFFSET $3`,
  categories: `SELECT c.slug, c.name FROM categories c WHERE c.name ILIKE $1 ORDER BY c.name LIMIT $2 OFFSET $3`,
};

async function baseline(db: Database, query: BenchQuery): Promise<void> {
  const text = searchText(query.q);
  if (text === undefined) return;
  const args = [containsPattern(text), 21, (query.page - 1) * 20];
  await db.query(BASELINE_SQL.streams, args);
  if (query.type === 'all') {
    await db.query(BASELINE_SQL.creators, args);
    await db.query(BASELINE_SQL.categories, args);
  }
}

/** A fresh database of the whole platform's schema on `engine`; `drop` removes it. */
async function openEngine(engine: 'postgres' | 'pglite'): Promise<{ db: Database; drop(): Promise<void> }> {
  if (engine === 'pglite') {
    const db = await openDatabase({ databaseUrl: undefined, dataDir: 'memory://' }, log);
    return { db, drop: () => db.close() };
  }
  const name = `vilo_bench_${randomUUID().slice(0, 8)}`;
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(sql);
    await c.end();
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), dataDir: '', poolSize: 4 }, log);
  return {
    db,
    async drop() {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** The indexes Postgres chooses for each search query, for a plain word, a typo and a name. */
async function indexesUsed(db: Database, search: Search): Promise<string> {
  const out: string[] = [];
  const planOf = async (sql: string, params: unknown[]): Promise<string> => {
    const [row] = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    const plan = JSON.stringify(row!['QUERY PLAN']);
    const indexes = new Set([...plan.matchAll(/"Index Name":"([^"]+)"/g)].map((m) => m[1]));
    const seqScans = new Set([...plan.matchAll(/"Node Type":"Seq Scan"[^}]*?"Relation Name":"([^"]+)"/g)].map((m) => `seq scan ${m[1]}`));
    return [...indexes, ...seqScans].join(', ') || '-';
  };
  for (const q of ['minecraft', 'minecarft', 'sato']) {
    const words = widenedWords(q);
    out.push(`${q}/widen: ${await planOf(widenSql(words.length), [q, 3, ...words])}`);
    const tsq = await search.widen(q);
    for (const [kind, sql] of Object.entries(SEARCH_SQL)) out.push(`${q}/${kind}: ${await planOf(sql, [q, tsq, 21, 0])}`);
  }
  return out.join('\n    ');
}

interface EngineResult {
  engine: string;
  seedSeconds: number;
  search: number[];
  baseline: number[];
  typos: { asked: number; found: number; missed: string[] };
  empty: number;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function runEngine(engine: 'postgres' | 'pglite', warmup: BenchQuery[], queries: BenchQuery[]): Promise<EngineResult> {
  const started = performance.now();
  console.log(`${engine}: opening and migrating a fresh database`);
  const { db, drop } = await openEngine(engine);
  try {
    await seedSearchData(db, CREATORS, STREAMS, (step) => console.log(`${engine}: seeding ${step} (${((performance.now() - started) / 1000).toFixed(1)} s)`));
    const seedSeconds = (performance.now() - started) / 1000;
    const search = new Search(db);
    if (engine === 'postgres') console.log(`${engine}: indexes in the plans\n    ${await indexesUsed(db, search)}`);
    const result: EngineResult = { engine, seedSeconds, search: [], baseline: [], typos: { asked: 0, found: 0, missed: [] }, empty: 0 };
    for (const q of warmup) {
      await search.search(q);
      await baseline(db, q);
    }
    for (const [i, q] of queries.entries()) {
      const run = () => search.search(q);
      let hits: Awaited<ReturnType<typeof run>> | undefined;
      const mine = async () => result.search.push(await timed(async () => (hits = await run())));
      const theirs = async () => result.baseline.push(await timed(() => baseline(db, q)));
      if (i % 2 === 0) await mine().then(theirs);
      else await theirs().then(mine);
      if (hits!.streams.length + hits!.creators.length + hits!.categories.length === 0) result.empty++;
      if (q.meant && q.page === 1) {
        result.typos.asked++;
        if (hits!.streams.some((s) => s.title.toLowerCase().includes(q.meant!.toLowerCase()))) result.typos.found++;
        else result.typos.missed.push(`${q.q} (${q.meant})`);
      }
      if ((i + 1) % 50 === 0) console.log(`${engine}: ${i + 1}/${queries.length} queries, p95 so far ${percentile(result.search, 95).toFixed(1)} ms`);
    }
    return result;
  } finally {
    await drop();
  }
}

const fmt = (xs: number[]): string => `p50 ${percentile(xs, 50).toFixed(1)} ms, p95 ${percentile(xs, 95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;

const queries = benchQueries(QUERIES + WARMUP);
const measured = queries.slice(WARMUP);
console.log(
  `search bench: ${STREAMS.toLocaleString('en')} streams (${Math.floor(STREAMS / 100).toLocaleString('en')} live), ${CREATORS.toLocaleString('en')} creators with profiles, ` +
    `${measured.length} queries (${measured.filter((q) => q.meant).length} with a typo) after ${WARMUP} warm-up; ${os.cpus().length} cores, load avg ${os.loadavg()[0]!.toFixed(1)}`,
);
const results: EngineResult[] = [];
for (const engine of ENGINES) results.push(await runEngine(engine, queries.slice(0, WARMUP), measured));
console.log('');
for (const r of results) {
  const ratio = percentile(r.search, 95) / percentile(r.baseline, 95);
  console.log(`${r.engine} (seeded in ${r.seedSeconds.toFixed(1)} s):`);
  console.log(`  search:   ${fmt(r.search)}${r.engine === 'postgres' ? `; target p95 ≤ ${TARGET_MS} ms → ${percentile(r.search, 95) <= TARGET_MS ? 'met' : 'MISSED'}` : ''}`);
  console.log(`  baseline: ${fmt(r.baseline)} (ILIKE '%q%', no ranking, no typos)`);
  console.log(`  search / baseline at p95: ${ratio.toFixed(2)}×`);
  const missed = r.typos.missed.length ? ` (missed: ${r.typos.missed.slice(0, 8).join(', ')})` : '';
  console.log(`  typos that found the word they meant: ${r.typos.found}/${r.typos.asked}${missed}; queries with no result at all: ${r.empty}/${r.search.length}`);
}
