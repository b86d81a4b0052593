// The search benchmark's data and queries: creators with profiles, streams whose titles, tags
// and categories come from fixed word lists (so queries hit realistic numbers of rows), all
// seeded with generate_series INSERTs; and a deterministic mix of queries with typos.
import type { Queryable } from '@vilokanam/settlement/db';

const FIRST = ['Alex', 'Sam', 'Maria', 'Kenji', 'Priya', 'Jonas', 'Fatima', 'Lucas', 'Aiko', 'Omar', 'Elena', 'Noah', 'Zara', 'Ivan', 'Chloe', 'Mateo', 'Leila', 'Hugo', 'Mina', 'Tariq'];
const LAST = ['Smith', 'Garcia', 'Tanaka', 'Sharma', 'Berg', 'Haddad', 'Silva', 'Sato', 'Nakamura', 'Petrov', 'Dubois', 'Rossi', 'Kim', 'Novak', 'Okafor', 'Larsen', 'Moreau', 'Costa', 'Weber', 'Fischer'];
const OPENERS = ['Chill', 'Late night', 'Speedrunning', 'Learning', 'Ranked', 'Cozy', 'Epic', 'First time playing', 'Building', 'Live'];
const TOPICS = [
  'Minecraft', 'Fortnite', 'chess', 'jazz', 'lofi beats', 'pasta', 'Rust', 'TypeScript', 'Elden Ring', 'watercolor',
  'physics', 'guitar', 'piano', 'football', 'running', 'Tokyo walk', 'sourdough', 'Zelda', 'Stardew Valley', 'pottery',
  'Valorant', 'League of Legends', 'synthwave', 'hip hop', 'drawing', 'astronomy', 'chemistry', 'Linux', 'Kubernetes', 'Polkadot',
  'basketball', 'yoga', 'ramen', 'coffee', 'photography', 'knitting', 'poker', 'Tetris', 'Mario Kart', 'Pokemon',
];
const ENDINGS = ['with friends', 'until sunrise', 'any%', 'no deaths', 'Q&A', 'and chat', 'marathon', 'tutorial', 'session', 'stream'];
const TAGS = ['english', 'chill', 'speedrun', 'pb', 'beginner', 'tutorial', 'music', 'lofi', 'competitive', 'ranked', 'cozy', 'relaxing', 'coding', 'opensource', 'irl', 'travel'];
const SLUGS = ['games', 'music', 'tech', 'talk', 'art', 'education', 'sports', 'irl', 'cooking', 'science', 'other'];
const CATEGORY_NAMES = ['Games', 'Music', 'Tech', 'Just Talking', 'Art', 'Education', 'Sports', 'IRL', 'Food & Drink', 'Science'];
const HOSTILE = ['%', "'; DROP TABLE streams; --", 'a & b | !c', 'minecraft:*', '"unterminated', '%_\\'];

const lit = (words: readonly string[]): string => `ARRAY[${words.map((w) => `'${w.replaceAll("'", "''")}'`).join(',')}]`;
/** A word list indexed by a hash of the row number: $pick(list, salt) in the seeding SQL. */
const pick = (words: readonly string[], salt: number): string => `(${lit(words)})[1 + (hashint4(i * ${salt} + ${salt}) & 2147483647) % ${words.length}]`;
const ACCOUNT_ID = (v: string): string => `'0x' || md5('c' || ${v}) || md5('d' || ${v})`;

/** Creators (accounts with a profile), a few follows each, and their streams; 1 in 100 streams is live. */
export async function seedSearchData(db: Queryable, creators: number, streams: number, progress: (step: string) => void): Promise<void> {
  progress(`${creators.toLocaleString('en')} creators`);
  await db.query(
    `INSERT INTO user_accounts (id, address, display_name)
     SELECT ${ACCOUNT_ID('i')}, '5' || left(md5('a' || i) || md5('b' || i), 47), ${pick(FIRST, 3)} || ' ' || ${pick(LAST, 5)}
       FROM generate_series(1, $1::int) i`,
    [creators],
  );
  // Handles are unique: the name, then the creator's number.
  await db.query(
    `INSERT INTO profiles (account_id, handle)
     SELECT ${ACCOUNT_ID('i')}, lower(${pick(FIRST, 3)} || '_' || ${pick(LAST, 5)}) || i FROM generate_series(1, $1::int) i`,
    [creators],
  );
  progress('follows');
  await db.query(
    `INSERT INTO follows (follower, creator)
     SELECT ${ACCOUNT_ID('i')}, ${ACCOUNT_ID('(1 + (i + k * 1237) % $1::int)')}
       FROM generate_series(1, $1::int) i, generate_series(1, 5) k
      WHERE 1 + (i + k * 1237) % $1::int <> i
     ON CONFLICT DO NOTHING`,
    [creators],
  );
  progress(`${streams.toLocaleString('en')} streams`);
  await db.query(
    `INSERT INTO streams (id, title, category, status, stream_key_hash, creator_id, tags, viewers, peak_viewers, created_at, started_at, ended_at)
     SELECT md5('s' || i)::uuid,
            ${pick(OPENERS, 7)} || ' ' || ${pick(TOPICS, 11)} || ' ' || ${pick(ENDINGS, 13)},
            ${pick(SLUGS, 17)},
            CASE WHEN i % 100 = 0 THEN 'live' ELSE 'ended' END,
            decode(md5('k' || i), 'hex'),
            ${ACCOUNT_ID('(1 + (hashint4(i * 19 + 4) & 2147483647) % $1::int)')},
            (${lit(TAGS)})[1 + (hashint4(i * 23) & 2147483647) % ${TAGS.length} : (hashint4(i * 23) & 2147483647) % ${TAGS.length} + (hashint4(i * 29) & 2147483647) % 3],
            CASE WHEN i % 100 = 0 THEN (hashint4(i * 31) & 2147483647) % 2000 ELSE 0 END,
            (hashint4(i * 37) & 2147483647) % 3000,
            now() - make_interval(mins => i), now() - make_interval(mins => i),
            CASE WHEN i % 100 = 0 THEN NULL ELSE now() - make_interval(mins => i) + interval '1 hour' END
       FROM generate_series(1, $2::int) i`,
    [creators, streams],
  );
  progress('ANALYZE');
  await db.query('ANALYZE');
}

export interface BenchQuery {
  q: string;
  type: 'all' | 'streams';
  page: number;
  /** For a misspelt title word: the word it meant, which the results should contain. */
  meant?: string;
}

/** A small deterministic PRNG (mulberry32), so every run asks the same queries. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One typo: two neighbours swapped, a letter dropped, or a letter doubled. */
function misspell(word: string, rand: () => number): string {
  const at = 1 + Math.floor(rand() * (word.length - 2));
  const kind = Math.floor(rand() * 3);
  if (kind === 0) return word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
  if (kind === 1) return word.slice(0, at) + word.slice(at + 1);
  return word.slice(0, at) + word[at] + word.slice(at);
}

/** `count` queries: title words, typos of them, phrases, names, handles, categories, tags, prefixes, hostile text. */
export function benchQueries(count: number): BenchQuery[] {
  const rand = prng(20261206);
  const any = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const titleWords = [...OPENERS, ...TOPICS].flatMap((t) => t.split(' ')).filter((w) => /^[A-Za-z]{5,}$/.test(w));
  const makers: (() => BenchQuery)[] = [
    () => ({ q: any(TOPICS), type: 'all', page: 1 }),
    () => ({ q: any(TOPICS).toLowerCase(), type: 'streams', page: 1 + Math.floor(rand() * 3) }),
    () => {
      const w = any(titleWords);
      return { q: misspell(w.toLowerCase(), rand), type: 'all', page: 1, meant: w };
    },
    () => {
      const w = any(titleWords);
      return { q: misspell(w, rand), type: 'streams', page: 1, meant: w };
    },
    () => ({ q: `${any(OPENERS)} ${any(TOPICS)}`, type: 'all', page: 1 }),
    () => ({ q: `${any(FIRST)} ${any(LAST)}`, type: 'all', page: 1 }),
    () => ({ q: misspell(any(LAST).toLowerCase(), rand), type: 'all', page: 1 }),
    () => ({ q: `${any(FIRST).toLowerCase()}_${any(LAST).toLowerCase()}${1 + Math.floor(rand() * 999)}`, type: 'all', page: 1 }),
    () => ({ q: any(CATEGORY_NAMES), type: 'all', page: 1 + Math.floor(rand() * 2) }),
    () => ({ q: any(TAGS), type: 'all', page: 1 }),
    () => ({ q: any(TOPICS).slice(0, 4), type: 'all', page: 1 }),
    () => ({ q: any(HOSTILE), type: 'all', page: 1 }),
  ];
  return Array.from({ length: count }, (_, i) => makers[i % makers.length]!());
}

/** `%text%` for ILIKE, with the pattern characters of the text escaped. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
