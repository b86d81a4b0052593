import type { z } from 'zod';
import type { CreatorResult, SearchQuery, SearchResults } from '@vilokanam/contracts/social';
import type { Queryable } from '@vilokanam/settlement/db';
import { imageUrl } from '../media/images.ts';
import { displayNameFor } from '../profiles/profileSummaries.ts';
import { BROWSE_COLUMNS, BROWSE_JOINS, CATEGORY_COLUMNS, pageWindow, splitPage, toBrowseStream, toCategory, type BrowseRow, type CategoryRow } from './browseStreams.ts';

export type SearchRequest = z.output<typeof SearchQuery>;

export interface SearchOptions {
  /** How many vocabulary terms, most similar by trigrams, widen each query word. */
  alternatives?: number;
}

// The user's text is only ever a parameter, $1. websearch_to_tsquery accepts any string without
// a syntax error (quotes, -, or, & | ! : * are words or operators to it, never SQL), and the
// widened query comes back from Postgres as a tsquery's own text, passed again as $2::tsquery.
const EXACT = `websearch_to_tsquery('simple', $1)`;

// Typo alternatives for at most this many words of a query. Words past them, and words under 3
// letters, are not required by the widened query; the query as typed still counts them.
const WIDENED_WORDS = 6;

/**
 * The query as typed ($1, websearch syntax), ORed with: each word, or one of the $2 terms of
 * search_terms most similar to it by trigrams (pg_trgm's % operator, 0.3 by default), ANDed.
 * Each word is its own parameter: the trigram index is used only for a constant, never for a
 * value joined in from another row.
 */
export function widenSql(words: number): string {
  if (words === 0) return `SELECT ${EXACT}::text AS query`;
  const alternatives = Array.from({ length: words }, (_, i) => {
    const w = `$${i + 3}::text`;
    return `SELECT ${i} AS k, ${w} AS term UNION ALL
      (SELECT ${i}, t.term FROM search_terms t WHERE t.term % ${w} AND t.term <> ${w} ORDER BY similarity(t.term, ${w}) DESC, t.term LIMIT $2)`;
  });
  return `SELECT (${EXACT} || COALESCE((
      SELECT search_all(alts) FROM (SELECT search_any(plainto_tsquery('simple', term)) AS alts FROM (${alternatives.join(' UNION ALL ')}) x GROUP BY k) y
    ), ''::tsquery))::text AS query`;
}

// Live matches first, ranked among themselves from the small live index; ended ones are ranked
// only when the page reaches past the live ones (LIMIT 0 never runs its scan). Matches as typed
// score 1 more than typo matches.
const STREAM_SCORE = `(s.search_doc @@ ${EXACT})::int + ts_rank(s.search_doc, $2::tsquery)`;
const STREAM_ORDER = `score DESC, viewers DESC, started_at DESC NULLS LAST, id`;
const STREAMS_SQL = `
WITH live AS (
  SELECT s.id, true AS live, s.viewers, s.started_at, ${STREAM_SCORE} AS score
    FROM streams s WHERE s.status = 'live' AND s.search_doc @@ $2::tsquery
   ORDER BY ${STREAM_ORDER} LIMIT $3::int + $4::int
), ended AS (
  SELECT s.id, false AS live, s.viewers, s.started_at, ${STREAM_SCORE} AS score
    FROM streams s WHERE s.status = 'ended' AND s.search_doc @@ $2::tsquery
   ORDER BY ${STREAM_ORDER} LIMIT $3::int + $4::int - (SELECT count(*) FROM live)
), top AS (
  SELECT * FROM (SELECT * FROM live UNION ALL SELECT * FROM ended) hits ORDER BY live DESC, ${STREAM_ORDER} LIMIT $3 OFFSET $4
)
SELECT ${BROWSE_COLUMNS}
  FROM top JOIN streams s ON s.id = top.id ${BROWSE_JOINS}
 ORDER BY top.live DESC, top.score DESC, top.viewers DESC, top.started_at DESC NULLS LAST, top.id`;

// A creator is an account with a profile or a stream. Handles and display names live in two
// tables, each matched through its own index, as typed and widened; the hits are ordered
// (live, as typed, followers) before the page's rows are joined to their accounts.
const NAME_DOC = `to_tsvector('simple', COALESCE(a.display_name, ''))`;
const HANDLE_DOC = `to_tsvector('simple', p.handle)`;
const CREATORS_SQL = `
WITH hits AS (
  SELECT id, max(typed) AS typed FROM (
    SELECT a.id, 1 AS typed FROM user_accounts a WHERE ${NAME_DOC} @@ ${EXACT}
    UNION ALL SELECT p.account_id, 1 FROM profiles p WHERE ${HANDLE_DOC} @@ ${EXACT}
    UNION ALL SELECT a.id, 0 FROM user_accounts a WHERE ${NAME_DOC} @@ $2::tsquery
    UNION ALL SELECT p.account_id, 0 FROM profiles p WHERE ${HANDLE_DOC} @@ $2::tsquery
  ) matched GROUP BY id
), top AS (
  SELECT h.id, h.typed,
         h.id IN (SELECT s.creator_id FROM streams s WHERE s.status = 'live' AND s.creator_id IS NOT NULL) AS live,
         (SELECT count(*) FROM follows f WHERE f.creator = h.id)::int AS followers
    FROM hits h
   WHERE EXISTS (SELECT 1 FROM profiles p WHERE p.account_id = h.id) OR EXISTS (SELECT 1 FROM streams s WHERE s.creator_id = h.id)
   ORDER BY live DESC, h.typed DESC, followers DESC, h.id LIMIT $3 OFFSET $4
)
SELECT a.id, a.address, a.display_name, p.handle, p.avatar, top.live, top.followers
  FROM top JOIN user_accounts a ON a.id = top.id LEFT JOIN profiles p ON p.account_id = top.id
 ORDER BY top.live DESC, top.typed DESC, top.followers DESC, top.id`;

// The list is short: a whole-name typo ("food drnk") is also compared directly.
const CATEGORY_DOC = `to_tsvector('simple', c.name || ' ' || c.slug)`;
const CATEGORIES_SQL = `
SELECT ${CATEGORY_COLUMNS},
       CASE WHEN ${CATEGORY_DOC} @@ $2::tsquery THEN 1 + (${CATEGORY_DOC} @@ ${EXACT})::int + ts_rank(${CATEGORY_DOC}, $2::tsquery)
            ELSE similarity($1, c.name) END AS score
  FROM categories c
 WHERE ${CATEGORY_DOC} @@ $2::tsquery OR $1 % c.name
 ORDER BY score DESC, viewers DESC, c.name LIMIT $3 OFFSET $4`;

/** The queries, for EXPLAIN in the search benchmark: $1 the text, $2 the widened tsquery, $3 limit, $4 offset. */
export const SEARCH_SQL = { streams: STREAMS_SQL, creators: CREATORS_SQL, categories: CATEGORIES_SQL } as const;

interface CreatorRow {
  id: string;
  address: string;
  display_name: string | null;
  handle: string | null;
  avatar: string | null;
  live: boolean;
  followers: number;
}

/**
 * Search over streams (live first, then ended ones), creators (live first) and categories:
 * full-text matches ranked by ts_rank, those as typed above those through a typo; 20 per page.
 * Works the same on Postgres and PGlite.
 */
export class Search {
  readonly #db: Queryable;
  readonly #alternatives: number;

  constructor(db: Queryable, opts: SearchOptions = {}) {
    this.#db = db;
    this.#alternatives = opts.alternatives ?? 3;
  }

  async search(req: SearchRequest): Promise<SearchResults> {
    const results: SearchResults = { streams: [], creators: [], categories: [], page: req.page, more: false };
    const q = searchText(req.q);
    if (q === undefined) return results;
    const tsq = await this.widen(q);
    const { offset, limit } = pageWindow(req.page);
    const args = [q, tsq, limit, offset];
    const want = (kind: SearchRequest['type']): boolean => req.type === 'all' || req.type === kind;
    // A query without a lexeme can match only a category's name, by similarity.
    const lexemes = tsq !== '';
    const [streams, creators, categories] = await Promise.all([
      want('streams') && lexemes ? this.#db.query<BrowseRow>(STREAMS_SQL, args) : [],
      want('creators') && lexemes ? this.#db.query<CreatorRow>(CREATORS_SQL, args) : [],
      want('categories') ? this.#db.query<CategoryRow>(CATEGORIES_SQL, args) : [],
    ]);
    const pages = [splitPage(streams), splitPage(creators), splitPage(categories)] as const;
    results.streams = pages[0].rows.map(toBrowseStream);
    results.creators = pages[1].rows.map(toCreator);
    results.categories = pages[2].rows.map(toCategory);
    results.more = pages.some((p) => p.more);
    return results;
  }

  /** `q` as a tsquery's text: as typed, or widened by typo alternatives; '' when it has no lexeme. */
  async widen(q: string): Promise<string> {
    const words = widenedWords(q);
    const params = words.length === 0 ? [q] : [q, this.#alternatives, ...words];
    const [row] = await this.#db.query<{ query: string }>(widenSql(words.length), params);
    return row?.query ?? '';
  }
}

/**
 * The words of `q` that typo alternatives widen: those of 3 or more letters, the first few. A
 * query in websearch syntax (quotes, or, -word) means exactly what it says, so none of its words.
 */
export function widenedWords(q: string): string[] {
  if (/["]|(^|\s)-|(^|\s)or(\s|$)/i.test(q)) return [];
  const words = new Set(q.toLowerCase().match(/[\p{L}\p{N}]+/gu));
  return [...words].filter((w) => w.length >= 3).slice(0, WIDENED_WORDS);
}

function toCreator(r: CreatorRow): CreatorResult {
  return {
    id: r.id,
    handle: r.handle,
    displayName: displayNameFor(r.display_name, r.address),
    avatarUrl: r.avatar ? imageUrl(r.avatar) : null,
    live: r.live,
    followers: r.followers,
  };
}

/**
 * The text to search for, or undefined when nothing in it can match. Control characters (NUL
 * would fail the query as invalid UTF-8) and lone surrogates become spaces. Without a letter
 * or digit there is neither a lexeme nor a trigram to look up, so the search is skipped.
 */
export function searchText(input: string): string | undefined {
  const text = input
    .toWellFormed()
    .replace(/[\p{Cc}\uFFFD]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return /[\p{L}\p{N}]/u.test(text) ? text : undefined;
}
