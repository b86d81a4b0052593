import type { BrowseStream, Category } from '@vilokanam/contracts/social';
import { displayNameFor } from '../profiles/profileSummaries.ts';

/** Results per page for category pages and each kind of search result. */
export const PAGE_SIZE = 20;

/**
 * The columns a BrowseStream is read from, for a query over `streams s` joined to
 * `categories c`, `user_accounts a` (LEFT, on the creator) and `profiles p` (LEFT).
 */
export const BROWSE_COLUMNS = `s.id, s.title, s.category, COALESCE(c.name, s.category) AS category_name, s.tags, s.viewers,
  s.started_at, s.price_per_second::text AS price, a.id AS creator_id, a.address, a.display_name, p.handle`;

/** The joins BROWSE_COLUMNS needs, after `FROM streams s`. */
export const BROWSE_JOINS = `LEFT JOIN categories c ON c.slug = s.category
  LEFT JOIN user_accounts a ON a.id = s.creator_id
  LEFT JOIN profiles p ON p.account_id = s.creator_id`;

export interface BrowseRow {
  id: string;
  title: string;
  category: string;
  category_name: string;
  tags: string[];
  viewers: number;
  started_at: Date | string | null;
  price: string;
  creator_id: string | null;
  address: string | null;
  display_name: string | null;
  handle: string | null;
}

export function toBrowseStream(r: BrowseRow): BrowseStream {
  return {
    id: r.id,
    title: r.title,
    category: r.category,
    categoryName: r.category_name,
    tags: r.tags,
    viewers: r.viewers,
    startedAt: r.started_at === null ? null : new Date(r.started_at).toISOString(),
    pricePerSecond: r.price,
    creator: r.creator_id === null ? null : { id: r.creator_id, handle: r.handle, displayName: displayNameFor(r.display_name, r.address ?? r.creator_id) },
  };
}

/** Live streams and their viewers per category, for a query over `categories c`. */
export const CATEGORY_COLUMNS = `c.slug, c.name,
  (SELECT count(*) FROM streams s WHERE s.category = c.slug AND s.status = 'live')::int AS live_streams,
  (SELECT COALESCE(sum(s.viewers), 0) FROM streams s WHERE s.category = c.slug AND s.status = 'live')::int AS viewers`;

export interface CategoryRow {
  slug: string;
  name: string;
  live_streams: number;
  viewers: number;
}

export function toCategory(r: CategoryRow): Category {
  return { slug: r.slug, name: r.name, liveStreams: r.live_streams, viewers: r.viewers };
}

/** Offset of a 1-based page, and the LIMIT that also tells whether another page exists. */
export function pageWindow(page: number): { offset: number; limit: number } {
  return { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE + 1 };
}

/** One page of rows fetched with pageWindow's limit, and whether more follow. */
export function splitPage<T>(rows: T[]): { rows: T[]; more: boolean } {
  return { rows: rows.slice(0, PAGE_SIZE), more: rows.length > PAGE_SIZE };
}
