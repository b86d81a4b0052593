// The managed category list on both engines: /browse's order by live viewers, a category's
// live streams by viewers in pages, resolving what a creator typed, and admins adding one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformEngines } from '@vilokanam/testkit/platform-db';
import type { Database } from '@vilokanam/settlement/db';
import { createAccount, createStream, type TestAccount } from '../testing/fixtures.ts';
import { Categories } from './Categories.ts';
import { Search } from './Search.ts';

describe.each(platformEngines)('Categories on $name', (engine) => {
  let db: Database;
  let drop: () => Promise<void>;
  let categories: Categories;
  let creator: TestAccount;

  const live = async (category: string, viewers: number, status: 'live' | 'ended' = 'live'): Promise<string> => {
    const id = await createStream(db, creator.id, { title: `${category} ${viewers}`, category, status });
    await db.query('UPDATE streams SET viewers = $2 WHERE id = $1', [id, viewers]);
    return id;
  };

  beforeAll(async () => {
    ({ db, drop } = await engine.open());
    categories = new Categories(db);
    creator = await createAccount(db, 'Creator', { handle: 'creator' });
    await live('music', 10);
    await live('music', 20);
    await live('games', 50);
    await live('tech', 999, 'ended'); // ended streams count for nothing, whatever their last count
    await live('art', 0);
  });
  afterAll(() => drop());

  it('lists every category by live viewers, then live streams, then name', async () => {
    const list = await categories.list();
    expect(list.slice(0, 4)).toEqual([
      { slug: 'games', name: 'Games', liveStreams: 1, viewers: 50 },
      { slug: 'music', name: 'Music', liveStreams: 2, viewers: 30 },
      { slug: 'art', name: 'Art', liveStreams: 1, viewers: 0 },
      { slug: 'education', name: 'Education', liveStreams: 0, viewers: 0 },
    ]);
    expect(list.map((c) => c.slug)).toContain('tech');
    expect(list.find((c) => c.slug === 'tech')).toMatchObject({ liveStreams: 0, viewers: 0 });
    expect(list).toHaveLength(11);
  });

  it("pages a category's live streams by viewers, 20 at a time", async () => {
    for (let v = 1; v <= 23; v++) await live('science', v * 3);
    await live('science', 1000, 'ended');
    const first = await categories.streams('science', 1);
    expect(first!.category).toEqual({ slug: 'science', name: 'Science', liveStreams: 23, viewers: 828 });
    expect(first!.streams.map((s) => s.viewers)).toEqual(Array.from({ length: 20 }, (_, i) => (23 - i) * 3));
    expect(first!.more).toBe(true);
    expect(first!.streams[0]).toMatchObject({ category: 'science', categoryName: 'Science', creator: { id: creator.id, handle: 'creator' } });
    const second = await categories.streams('science', 2);
    expect(second!.streams.map((s) => s.viewers)).toEqual([9, 6, 3]);
    expect(second).toMatchObject({ page: 2, more: false });
    expect(await categories.streams('nope', 1)).toBeUndefined();
  });

  it('resolves a slug or a name, ignoring case and space, and nothing else', async () => {
    expect(await categories.resolve('music')).toBe('music');
    expect(await categories.resolve(' MUSIC ')).toBe('music');
    expect(await categories.resolve('Just Talking')).toBe('talk');
    expect(await categories.resolve('just talking')).toBe('talk');
    expect(await categories.resolve('food & drink')).toBe('cooking');
    for (const bad of ['', '   ', 'nope', 'mus_c', 'mus%', '%', "music' OR '1'='1", 'x'.repeat(100)]) {
      expect(await categories.resolve(bad), bad).toBeUndefined();
    }
  });

  it('adds a category once, by slug and by name whatever its case, and search knows it', async () => {
    expect(await categories.create('retro', 'Retro Games')).toEqual({ outcome: 'created', category: { slug: 'retro', name: 'Retro Games', liveStreams: 0, viewers: 0 } });
    expect(await categories.create('retro', 'Something Else')).toEqual({ outcome: 'taken' });
    expect(await categories.create('retro-2', 'retro games')).toEqual({ outcome: 'taken' });
    expect(await categories.resolve('retro games')).toBe('retro');
    const id = await createStream(db, creator.id, { title: 'Arcade night', category: 'retro' });
    const found = await new Search(db).search({ q: 'retro', type: 'all', page: 1 });
    expect(found.streams.map((s) => s.id)).toEqual([id]);
    expect(found.streams[0]!.categoryName).toBe('Retro Games');
    expect(found.categories.map((c) => c.slug)).toEqual(['retro']);
  });

  it("keeps a stream's search document current when its title, tags or category change", async () => {
    const id = await createStream(db, creator.id, { title: 'Morning coffee', category: 'talk' });
    const search = new Search(db);
    const ids = async (q: string): Promise<string[]> => (await search.search({ q, type: 'streams', page: 1 })).streams.map((s) => s.id);
    expect(await ids('coffee')).toEqual([id]);
    await db.query(`UPDATE streams SET title = 'Evening tea', tags = '{herbal}', category = 'cooking' WHERE id = $1`, [id]);
    expect(await ids('coffee')).toEqual([]);
    expect(await ids('herbal')).toEqual([id]);
    expect(await ids('drink')).toEqual([id]);
    await db.query('UPDATE streams SET viewers = 7 WHERE id = $1', [id]);
    // "tea" shares half its trigrams with "tech 999" too, a typo match ranked after the title.
    expect((await ids('tea'))[0]).toBe(id);
  });
});
