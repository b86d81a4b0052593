// Search on both engines: full text ranked above typo matches, live streams and creators
// first, pages of 20, and hostile text that finds nothing rather than failing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformEngines } from '@vilokanam/testkit/platform-db';
import type { Database } from '@vilokanam/settlement/db';
import { createAccount, createStream, follow, type TestAccount } from '../testing/fixtures.ts';
import { HOSTILE_QUERIES } from '../testing/hostileQueries.ts';
import { Search, searchText, type SearchRequest } from './Search.ts';

describe('searchText', () => {
  it('turns control characters and lone surrogates into spaces and skips text without letters or digits', () => {
    expect(searchText('  jazz \u0000 night\t')).toBe('jazz night');
    expect(searchText('a\uD800b')).toBe('a b');
    expect(searchText('%_\\')).toBeUndefined();
    expect(searchText('\u0000')).toBeUndefined();
    expect(searchText('Ünïcødé')).toBe('Ünïcødé');
  });
});

describe.each(platformEngines)('Search on $name', (engine) => {
  let db: Database;
  let drop: () => Promise<void>;
  let search: Search;
  let builder: TestAccount, melody: TestAccount, jazzcat: TestAccount;
  const ids: Record<string, string> = {};

  const find = (q: string, more: Partial<SearchRequest> = {}) => search.search({ q, type: 'all', page: 1, ...more });
  const titles = async (q: string): Promise<string[]> => (await find(q, { type: 'streams' })).streams.map((s) => s.title);
  const stream = async (key: string, creator: TestAccount | null, opts: Parameters<typeof createStream>[2] & { viewers?: number }) => {
    ids[key] = await createStream(db, creator?.id ?? null, opts);
    if (opts.viewers) await db.query('UPDATE streams SET viewers = $2 WHERE id = $1', [ids[key], opts.viewers]);
  };

  beforeAll(async () => {
    ({ db, drop } = await engine.open());
    search = new Search(db);
    builder = await createAccount(db, 'Steve Builder', { handle: 'blockbuilder' });
    melody = await createAccount(db, 'Melody Maker', { handle: 'melody' });
    jazzcat = await createAccount(db, 'Jazz Cat', { handle: 'jazzcat' });
    await createAccount(db, 'Jazz Fan'); // a viewer: no profile, no stream
    const fan = await createAccount(db, 'Fan');
    await follow(db, fan.id, melody.id);
    await stream('hardcore', builder, { title: 'Minecraft hardcore survival', category: 'games', tags: ['survival'], viewers: 5 });
    await stream('redstone', melody, { title: 'Minecraft redstone tutorial', category: 'education', status: 'ended' });
    await stream('piano', melody, { title: 'Lo-fi piano music', category: 'music', status: 'ended' });
    await stream('jazz', jazzcat, { title: 'Jazz night', category: 'music', viewers: 10 });
    await stream('tagged', builder, { title: 'Saxophone practice', category: 'music', tags: ['jazz'], viewers: 100 });
    await stream('draft', builder, { title: 'Minecraft draft', category: 'games', status: 'created' });
    await stream('anonymous', null, { title: 'Nobody in particular', category: 'other' }); // live, without a creator
    for (let i = 1; i <= 45; i++) await stream(`run${i}`, null, { title: `Speedrun attempt ${i}`, category: 'games', status: 'ended' });
  });
  afterAll(() => drop());

  it('finds a stream by a word of its title, tags or category name', async () => {
    expect(await titles('hardcore')).toEqual(['Minecraft hardcore survival']);
    expect(await titles('survival')).toEqual(['Minecraft hardcore survival']);
    expect(await titles('education')).toEqual(['Minecraft redstone tutorial']);
  });

  it('lists live streams before ended ones, and never one that has not started', async () => {
    expect(await titles('minecraft')).toEqual(['Minecraft hardcore survival', 'Minecraft redstone tutorial']);
  });

  it('ranks a title match above a tag match, whatever the viewers', async () => {
    expect(await titles('jazz')).toEqual(['Jazz night', 'Saxophone practice']);
  });

  it('finds through typos: minecarft finds Minecraft, musik finds Music', async () => {
    expect(await titles('minecarft')).toEqual(['Minecraft hardcore survival', 'Minecraft redstone tutorial']);
    expect(await titles('minecraf')).toEqual(['Minecraft hardcore survival', 'Minecraft redstone tutorial']);
    const musik = await find('musik');
    expect(musik.categories.map((c) => c.slug)[0]).toBe('music');
    expect(musik.streams.map((s) => s.title)).toContain('Lo-fi piano music');
  });

  it('ranks exact matches above typo matches', async () => {
    await stream('kaffee', builder, { title: 'Musik und Kaffee', category: 'talk', status: 'ended' });
    try {
      // Live streams in Music come first; then the ended ones, the one spelt as typed first.
      const found = await titles('musik');
      expect(found.slice(0, 2).sort()).toEqual(['Jazz night', 'Saxophone practice']);
      expect(found.slice(2)).toEqual(['Musik und Kaffee', 'Lo-fi piano music']);
    } finally {
      await db.query('DELETE FROM streams WHERE id = $1', [ids.kaffee]);
    }
  });

  it('fills a BrowseStream with category name, tags and creator', async () => {
    const [hit] = (await find('hardcore')).streams;
    expect(hit).toMatchObject({
      id: ids.hardcore,
      category: 'games',
      categoryName: 'Games',
      tags: ['survival'],
      viewers: 5,
      pricePerSecond: '0',
      creator: { id: builder.id, handle: 'blockbuilder', displayName: 'Steve Builder' },
    });
    expect(hit!.startedAt).toMatch(/^\d{4}-/);
  });

  it('finds creators by handle or display name, with typos, live ones first', async () => {
    const byHandle = await find('jazzcat', { type: 'creators' });
    expect(byHandle.creators).toEqual([{ id: jazzcat.id, handle: 'jazzcat', displayName: 'Jazz Cat', avatarUrl: null, live: true, followers: 0 }]);
    // "Jazz Fan" has neither a profile nor a stream: a viewer, not a creator.
    expect((await find('jazz', { type: 'creators' })).creators.map((c) => c.id)).toEqual([jazzcat.id]);
    const typo = await find('melodi makr', { type: 'creators' });
    expect(typo.creators).toEqual([{ id: melody.id, handle: 'melody', displayName: 'Melody Maker', avatarUrl: null, live: false, followers: 1 }]);
    expect((await find('builder', { type: 'creators' })).creators.map((c) => c.id)).toEqual([builder.id]);
    const other = await createAccount(db, 'Melody Live', { handle: 'melodylive' });
    await stream('other', other, { title: 'Quiet hour', category: 'talk' });
    expect((await find('melody', { type: 'creators' })).creators.map((c) => [c.id, c.live])).toEqual([
      [other.id, true],
      [melody.id, false],
    ]);
  });

  it('finds categories by name, slug or a typo, with their live counts', async () => {
    expect((await find('food', { type: 'categories' })).categories.map((c) => c.slug)).toEqual(['cooking']);
    expect((await find('cooking', { type: 'categories' })).categories.map((c) => c.slug)).toEqual(['cooking']);
    const [music] = (await find('Musc', { type: 'categories' })).categories;
    expect(music).toEqual({ slug: 'music', name: 'Music', liveStreams: 2, viewers: 110 });
  });

  it('pages 20 at a time with `more`, without repeats', async () => {
    const seen = new Set<string>();
    const sizes: number[] = [];
    const more: boolean[] = [];
    for (let page = 1; page <= 3; page++) {
      const r = await find('speedrun', { type: 'streams', page });
      expect(r.page).toBe(page);
      sizes.push(r.streams.length);
      more.push(r.more);
      for (const s of r.streams) seen.add(s.id);
    }
    expect(sizes).toEqual([20, 20, 5]);
    expect(more).toEqual([true, true, false]);
    expect(seen.size).toBe(45);
    expect((await find('speedrun', { page: 4 })).streams).toEqual([]);
  });

  it('answers only the kinds asked for', async () => {
    const r = await find('jazz', { type: 'categories' });
    expect(r.streams).toEqual([]);
    expect(r.creators).toEqual([]);
    const all = await find('jazz');
    expect(all.streams.length).toBe(2);
    expect(all.creators.length).toBe(1);
  });

  it('treats hostile text as text: results or nothing, never an error', async () => {
    for (const q of HOSTILE_QUERIES) {
      const r = await find(q);
      expect(Array.isArray(r.streams) && Array.isArray(r.creators) && Array.isArray(r.categories), q).toBe(true);
    }
    expect(await titles("music' OR '1'='1")).toContain('Lo-fi piano music');
    expect(await titles('minecraft:*')).toEqual(['Minecraft hardcore survival', 'Minecraft redstone tutorial']);
    expect(await titles('mine\u0000craft')).toContain('Minecraft hardcore survival');
    expect((await find('%_\\')).streams).toEqual([]);
    const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM streams');
    expect(row!.n).toBeGreaterThan(45);
  });
});
