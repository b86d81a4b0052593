import type { BrowseStream, FollowEntry, FollowList } from '@vilokanam/contracts/social';
import type { Database, Queryable } from '@vilokanam/settlement/db';
import { imageUrl } from '../media/images.ts';
import { displayNameFor } from '../profiles/profileSummaries.ts';
import { BROWSE_COLUMNS, BROWSE_JOINS, toBrowseStream, type BrowseRow } from '../search/browseStreams.ts';

/** Entries one page of a follow list holds. */
export const FOLLOW_PAGE = 50;
/** Accounts one account may follow: bounds the following list, the live row and its query. */
export const DEFAULT_MAX_FOLLOWING = 2_000;
/** Streams the home page's "Following" row shows at most. */
const LIVE_LIMIT = 100;

export type FollowOutcome =
  | { outcome: 'followed' | 'already'; followedAt: Date }
  | { outcome: 'self' | 'unknown' | 'full' };

export interface FollowCounts {
  followers: number;
  following: number;
}

/** A page cursor: the last entry's follow time in microseconds since the epoch, and its account id. */
const CURSOR = /^([0-9]{1,17})_(0x[0-9a-f]{64})$/;

interface EntryRow {
  id: string;
  address: string;
  display_name: string | null;
  handle: string | null;
  avatar: string | null;
  created_at: Date | string;
  micros: string;
}

/** Who follows whom: following and unfollowing, the lists, their counts and the live row. */
export class Follows {
  readonly #db: Database;
  readonly #maxFollowing: number;

  constructor(db: Database, opts: { maxFollowing?: number } = {}) {
    this.#db = db;
    this.#maxFollowing = opts.maxFollowing ?? DEFAULT_MAX_FOLLOWING;
  }

  get maxFollowing(): number {
    return this.#maxFollowing;
  }

  /** Follows `creator`; following again changes nothing and keeps the first follow's time. */
  async follow(follower: string, creator: string): Promise<FollowOutcome> {
    if (follower === creator) return { outcome: 'self' };
    return this.#db.transaction(async (tx) => {
      // The follower's row lock serializes their follows, so the bound holds under concurrency.
      // NO KEY UPDATE still lets other transactions insert rows that refer to the account.
      const me = await tx.query('SELECT 1 FROM user_accounts WHERE id = $1 FOR NO KEY UPDATE', [follower]);
      if (me.length === 0) return { outcome: 'unknown' };
      const since = await this.followedSince(follower, creator, tx);
      if (since) return { outcome: 'already', followedAt: since };
      const target = await tx.query('SELECT 1 FROM user_accounts WHERE id = $1', [creator]);
      if (target.length === 0) return { outcome: 'unknown' };
      const [count] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM follows WHERE follower = $1', [follower]);
      if ((count?.n ?? 0) >= this.#maxFollowing) return { outcome: 'full' };
      const [row] = await tx.query<{ created_at: Date | string }>(
        'INSERT INTO follows (follower, creator) VALUES ($1, $2) RETURNING created_at',
        [follower, creator],
      );
      return { outcome: 'followed', followedAt: new Date(row!.created_at) };
    });
  }

  /** True if a follow was removed; unfollowing someone not followed is not an error. */
  async unfollow(follower: string, creator: string): Promise<boolean> {
    const rows = await this.#db.query('DELETE FROM follows WHERE follower = $1 AND creator = $2 RETURNING 1', [follower, creator]);
    return rows.length > 0;
  }

  /** When `follower` started following `creator`, if they do: chat's followers-only mode asks. */
  async followedSince(follower: string, creator: string, db: Queryable = this.#db): Promise<Date | undefined> {
    const [row] = await db.query<{ created_at: Date | string }>('SELECT created_at FROM follows WHERE follower = $1 AND creator = $2', [follower, creator]);
    return row ? new Date(row.created_at) : undefined;
  }

  async counts(account: string): Promise<FollowCounts> {
    const [row] = await this.#db.query<FollowCounts>(
      `SELECT (SELECT count(*)::int FROM follows WHERE creator = $1) AS followers,
              (SELECT count(*)::int FROM follows WHERE follower = $1) AS following`,
      [account],
    );
    return { followers: row?.followers ?? 0, following: row?.following ?? 0 };
  }

  async accountExists(account: string): Promise<boolean> {
    return (await this.#db.query('SELECT 1 FROM user_accounts WHERE id = $1', [account])).length > 0;
  }

  /** Who follows `account`, newest first; `before` is a previous page's `next`. */
  followers(account: string, before?: string): Promise<FollowList> {
    return this.#page('creator', 'follower', account, before);
  }

  /** Whom `account` follows, newest first. */
  following(account: string, before?: string): Promise<FollowList> {
    return this.#page('follower', 'creator', account, before);
  }

  /** Whether a string is a cursor this class issued (else the route answers 400). */
  static isCursor(before: string): boolean {
    return CURSOR.test(before);
  }

  /** The live streams of creators `account` follows, most watched first. */
  async live(account: string): Promise<BrowseStream[]> {
    const rows = await this.#db.query<BrowseRow>(
      `SELECT ${BROWSE_COLUMNS}
         FROM follows f
         JOIN streams s ON s.creator_id = f.creator AND s.status = 'live'
         ${BROWSE_JOINS}
        WHERE f.follower = $1
        ORDER BY s.viewers DESC, s.started_at DESC, s.id
        LIMIT ${LIVE_LIMIT}`,
      [account],
    );
    return rows.map(toBrowseStream);
  }

  // `mine` is the column holding `account`, `theirs` the column listed.
  async #page(mine: 'creator' | 'follower', theirs: 'creator' | 'follower', account: string, before?: string): Promise<FollowList> {
    const cursor = before === undefined ? undefined : CURSOR.exec(before);
    if (before !== undefined && !cursor) throw new Error('not a follow list cursor');
    const rows = await this.#db.query<EntryRow>(
      `SELECT a.id, a.address, a.display_name, p.handle, p.avatar, f.created_at,
              (extract(epoch FROM f.created_at) * 1000000)::bigint::text AS micros
         FROM follows f
         JOIN user_accounts a ON a.id = f.${theirs}
         LEFT JOIN profiles p ON p.account_id = a.id
        WHERE f.${mine} = $1
          AND ($2::bigint IS NULL OR (f.created_at, f.${theirs}) < (timestamptz 'epoch' + $2::bigint::float8 * interval '1 microsecond', $3::text))
        ORDER BY f.created_at DESC, f.${theirs} DESC
        LIMIT ${FOLLOW_PAGE + 1}`,
      [account, cursor?.[1] ?? null, cursor?.[2] ?? null],
    );
    const page = rows.slice(0, FOLLOW_PAGE);
    const last = page.at(-1);
    return { entries: page.map(toEntry), next: rows.length > FOLLOW_PAGE && last ? `${last.micros}_${last.id}` : null };
  }
}

function toEntry(r: EntryRow): FollowEntry {
  return {
    id: r.id,
    handle: r.handle,
    displayName: displayNameFor(r.display_name, r.address),
    avatarUrl: r.avatar ? imageUrl(r.avatar) : null,
    followedAt: new Date(r.created_at).toISOString(),
  };
}
