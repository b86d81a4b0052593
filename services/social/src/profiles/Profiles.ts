import type { BrowseStream, CreatorPage, PastStream, Profile, ProfileUpdate } from '@vilokanam/contracts/social';
import { HttpError } from '@vilokanam/contracts/http';
import type { Database } from '@vilokanam/settlement/db';
import type { ImageIngest } from '../media/ImageIngest.ts';
import { imageUrl } from '../media/images.ts';
import { BROWSE_COLUMNS, BROWSE_JOINS, type BrowseRow, toBrowseStream } from '../search/browseStreams.ts';
import { displayNameFor } from './profileSummaries.ts';

/** Past streams one creator page (or one `before` page of it) lists. */
export const PAST_STREAMS_PAGE = 20;

const UNIQUE_VIOLATION = '23505';
// Control characters would let a name fake chat's layout; bidi overrides would let it read backwards.
const NAME_CONTROLS = /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;
const BIO_CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;

interface ProfileRow {
  id: string;
  address: string;
  display_name: string | null;
  handle: string | null;
  bio: string | null;
  links: string[] | null;
  avatar: string | null;
  followers: number;
  following: number;
}

interface PastRow {
  id: string;
  title: string;
  category: string;
  started_at: Date | null;
  ended_at: Date | null;
  duration: number | null;
  peak_viewers: number;
}

const PROFILE_SELECT = `
  SELECT a.id, a.address, a.display_name, p.handle, p.bio, p.links, p.avatar,
         (SELECT count(*)::int FROM follows f WHERE f.creator = a.id) AS followers,
         (SELECT count(*)::int FROM follows f WHERE f.follower = a.id) AS following
    FROM user_accounts a LEFT JOIN profiles p ON p.account_id = a.id`;

/**
 * Profiles and creator pages. A profile extends a wallet account: the handle, bio, links and
 * avatar live in `profiles`, the display name stays on `user_accounts` where sign-in put it.
 * An account without a profile row still has a profile to show, with no handle.
 */
export class Profiles {
  readonly #db: Database;
  readonly #ingest: ImageIngest;

  constructor(db: Database, ingest: ImageIngest) {
    this.#db = db;
    this.#ingest = ingest;
  }

  /** The account's profile, or undefined for an account that does not exist. */
  async get(accountId: string): Promise<Profile | undefined> {
    const rows = await this.#db.query<ProfileRow>(`${PROFILE_SELECT} WHERE a.id = $1`, [accountId]);
    return rows[0] && toProfile(rows[0]);
  }

  /** The profile a handle names, compared case-insensitively. */
  async byHandle(handle: string): Promise<Profile | undefined> {
    const rows = await this.#db.query<ProfileRow>(`${PROFILE_SELECT} WHERE p.handle = $1`, [handle.toLowerCase()]);
    return rows[0] && toProfile(rows[0]);
  }

  /**
   * Writes the whole profile. Handles are stored lowercased and unique, so two accounts racing
   * for one handle are decided by the unique index: the loser gets a 409.
   */
  async update(accountId: string, input: ProfileUpdate): Promise<Profile> {
    if (NAME_CONTROLS.test(input.displayName)) throw new HttpError(400, 'bad_request', 'displayName: no control characters');
    if (BIO_CONTROLS.test(input.bio)) throw new HttpError(400, 'bad_request', 'bio: no control characters other than line breaks');
    try {
      await this.#db.transaction(async (tx) => {
        const accounts = await tx.query('UPDATE user_accounts SET display_name = $2 WHERE id = $1 RETURNING id', [accountId, input.displayName]);
        if (accounts.length === 0) throw new HttpError(404, 'not_found', 'no such account');
        await tx.query(
          `INSERT INTO profiles (account_id, handle, bio, links) VALUES ($1, $2, $3, $4)
           ON CONFLICT (account_id) DO UPDATE
             SET handle = EXCLUDED.handle, bio = EXCLUDED.bio, links = EXCLUDED.links, updated_at = now()`,
          [accountId, input.handle.toLowerCase(), input.bio, input.links],
        );
      });
    } catch (err) {
      if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) throw new HttpError(409, 'conflict', 'that handle is taken');
      throw err;
    }
    return this.#mustGet(accountId);
  }

  /** Checks, resizes and stores an avatar, and makes it the profile's. */
  async setAvatar(accountId: string, upload: Buffer): Promise<Profile> {
    // Checked before decoding, so a request that cannot succeed costs no image work.
    await this.#mustHaveHandle(accountId);
    const key = await this.#ingest.ingest(upload, 'avatar');
    const rows = await this.#db.query('UPDATE profiles SET avatar = $2, updated_at = now() WHERE account_id = $1 RETURNING account_id', [accountId, key]);
    if (rows.length === 0) await this.#mustHaveHandle(accountId);
    return this.#mustGet(accountId);
  }

  /** What /c/<handle> shows; `viewer` is the signed-in caller, `before` a past-streams cursor. */
  async creatorPage(handle: string, opts: { viewer?: string | undefined; before?: string | undefined } = {}): Promise<CreatorPage | undefined> {
    const profile = await this.byHandle(handle);
    if (!profile) return undefined;
    const [live, past, followed] = await Promise.all([
      this.#live(profile.id),
      this.#past(profile.id, opts.before),
      opts.viewer ? this.#follows(opts.viewer, profile.id) : Promise.resolve(false),
    ]);
    return { profile, live, past: past.page, pastNext: past.next, followed };
  }

  async #live(creator: string): Promise<BrowseStream | null> {
    const rows = await this.#db.query<BrowseRow>(
      `SELECT ${BROWSE_COLUMNS} FROM streams s ${BROWSE_JOINS}
        WHERE s.creator_id = $1 AND s.status = 'live'
        ORDER BY s.started_at DESC NULLS LAST LIMIT 1`,
      [creator],
    );
    return rows[0] ? toBrowseStream(rows[0]) : null;
  }

  /**
   * Ended streams that went live, newest first. The cursor is the last stream's id, resolved
   * back to its (started_at, id) position, so no timestamp crosses the wire and loses precision.
   */
  async #past(creator: string, before: string | undefined): Promise<{ page: PastStream[]; next: string | null }> {
    const rows = await this.#db.query<PastRow>(
      `SELECT s.id, s.title, s.category, s.started_at, s.ended_at, s.peak_viewers,
              floor(extract(epoch FROM (s.ended_at - s.started_at)))::int AS duration
         FROM streams s
        WHERE s.creator_id = $1 AND s.status = 'ended' AND s.started_at IS NOT NULL
          AND ($2::uuid IS NULL OR (s.started_at, s.id) < (SELECT b.started_at, b.id FROM streams b WHERE b.id = $2::uuid))
        ORDER BY s.started_at DESC, s.id DESC
        LIMIT $3`,
      [creator, before ?? null, PAST_STREAMS_PAGE + 1],
    );
    const page = rows.slice(0, PAST_STREAMS_PAGE).map(
      (r): PastStream => ({
        id: r.id,
        title: r.title,
        category: r.category,
        startedAt: iso(r.started_at),
        endedAt: iso(r.ended_at),
        durationSeconds: r.duration === null ? null : Math.max(0, r.duration),
        peakViewers: r.peak_viewers,
      }),
    );
    return { page, next: rows.length > PAST_STREAMS_PAGE ? (page.at(-1)?.id ?? null) : null };
  }

  async #follows(follower: string, creator: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM follows WHERE follower = $1 AND creator = $2', [follower, creator]);
    return rows.length > 0;
  }

  async #mustHaveHandle(accountId: string): Promise<void> {
    const rows = await this.#db.query('SELECT 1 FROM profiles WHERE account_id = $1', [accountId]);
    if (rows.length === 0) throw new HttpError(409, 'conflict', 'choose a handle before adding an avatar');
  }

  async #mustGet(accountId: string): Promise<Profile> {
    const profile = await this.get(accountId);
    if (!profile) throw new HttpError(404, 'not_found', 'no such account');
    return profile;
  }
}

function toProfile(r: ProfileRow): Profile {
  return {
    id: r.id,
    address: r.address,
    handle: r.handle,
    displayName: displayNameFor(r.display_name, r.address),
    bio: r.bio ?? '',
    links: r.links ?? [],
    avatarUrl: r.avatar ? imageUrl(r.avatar) : null,
    followers: r.followers,
    following: r.following,
  };
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}
