import type { Queryable } from '@vilokanam/settlement/db';
import { displayNameFor } from '../profiles/profileSummaries.ts';
import { DEFAULT_CHAT_SETTINGS, type ChatAuthor, type ChatMessage, type ChatSettings } from '@vilokanam/contracts/chat';

export interface RoomInfo {
  id: string;
  /** The creator whose moderators and settings rule this room; null for a stream nobody owns. */
  channel: string | null;
  status: 'created' | 'live' | 'ended';
  title: string;
}

export interface RestrictionRow {
  /** null: banned. */
  until: Date | null;
  reason: string;
}

interface MessageRow {
  id: string;
  room: string;
  author: string;
  handle: string | null;
  display_name: string | null;
  address: string;
  is_mod: boolean;
  channel: string | null;
  text: string;
  mentions: string[];
  tip_amount: string | null;
  created_at: Date | string;
  reply_id: string | null;
  reply_author: string | null;
  reply_text: string | null;
  reply_deleted: boolean | null;
}

const MESSAGE_SELECT = `
  SELECT m.id::text AS id, m.room::text AS room, m.author, p.handle, a.display_name, a.address,
         (cm.account IS NOT NULL) AS is_mod, s.creator_id AS channel, m.text, m.mentions,
         m.tip_amount::text AS tip_amount, m.created_at,
         r.id::text AS reply_id, COALESCE(rp.handle, ra.display_name, ra.address) AS reply_author, r.text AS reply_text,
         (r.deleted_at IS NOT NULL) AS reply_deleted
    FROM chat_messages m
    JOIN streams s ON s.id = m.room
    JOIN user_accounts a ON a.id = m.author
    LEFT JOIN profiles p ON p.account_id = m.author
    LEFT JOIN chat_moderators cm ON cm.channel = s.creator_id AND cm.account = m.author
    LEFT JOIN chat_messages r ON r.id = m.reply_to
    LEFT JOIN user_accounts ra ON ra.id = r.author
    LEFT JOIN profiles rp ON rp.account_id = r.author`;

/** Chat's SQL: rooms, channel settings and roles, restrictions and messages. */
export class ChatStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async room(id: string): Promise<RoomInfo | undefined> {
    const [row] = await this.#db.query<{ id: string; creator_id: string | null; status: RoomInfo['status']; title: string }>(
      'SELECT id::text AS id, creator_id, status, title FROM streams WHERE id = $1',
      [id],
    );
    return row ? { id: row.id, channel: row.creator_id, status: row.status, title: row.title } : undefined;
  }

  async settings(channel: string | null, db: Queryable = this.#db): Promise<ChatSettings> {
    if (!channel) return DEFAULT_CHAT_SETTINGS;
    const [row] = await db.query<{ slow_mode_seconds: number; followers_only: boolean; follow_min_minutes: number; blocked_terms: string[] }>(
      'SELECT slow_mode_seconds, followers_only, follow_min_minutes, blocked_terms FROM chat_channels WHERE channel = $1',
      [channel],
    );
    if (!row) return DEFAULT_CHAT_SETTINGS;
    return { slowModeSeconds: row.slow_mode_seconds, followersOnly: row.followers_only, followMinMinutes: row.follow_min_minutes, blockedTerms: row.blocked_terms };
  }

  async saveSettings(channel: string, s: ChatSettings): Promise<void> {
    await this.#db.query(
      `INSERT INTO chat_channels (channel, slow_mode_seconds, followers_only, follow_min_minutes, blocked_terms) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (channel) DO UPDATE SET slow_mode_seconds = $2, followers_only = $3, follow_min_minutes = $4, blocked_terms = $5`,
      [channel, s.slowModeSeconds, s.followersOnly, s.followMinMinutes, s.blockedTerms],
    );
  }

  async roleOf(channel: string | null, account: string, db: Queryable = this.#db): Promise<'creator' | 'moderator' | 'viewer'> {
    if (!channel) return 'viewer';
    if (channel === account) return 'creator';
    const rows = await db.query('SELECT 1 FROM chat_moderators WHERE channel = $1 AND account = $2', [channel, account]);
    return rows.length > 0 ? 'moderator' : 'viewer';
  }

  /** A ban, or a timeout that has not run out at `now`. */
  async restriction(channel: string | null, account: string, now: Date, db: Queryable = this.#db): Promise<RestrictionRow | undefined> {
    if (!channel) return undefined;
    const [row] = await db.query<{ until: Date | string | null; reason: string }>(
      'SELECT until, reason FROM chat_restrictions WHERE channel = $1 AND account = $2 AND (until IS NULL OR until > $3)',
      [channel, account, now],
    );
    return row ? { until: row.until === null ? null : new Date(row.until), reason: row.reason } : undefined;
  }

  /**
   * Everything the rules need about one account writing in one room, in one round trip:
   * its role, the channel's settings, a live ban or timeout, its last message here, when it
   * followed, and how many of its latest `rateLimit` messages anywhere are newer than `since`.
   */
  async writeFacts(
    db: Queryable,
    room: string,
    channel: string | null,
    account: string,
    now: Date,
    since: Date,
    rateLimit: number,
  ): Promise<{ role: 'creator' | 'moderator' | 'viewer'; settings: ChatSettings; restriction: RestrictionRow | undefined; lastMessageAt: Date | undefined; followedSince: Date | undefined; recent: number }> {
    const [r] = await db.query<{
      is_mod: boolean;
      slow_mode_seconds: number | null;
      followers_only: boolean | null;
      follow_min_minutes: number | null;
      blocked_terms: string[] | null;
      r_found: boolean;
      r_until: Date | string | null;
      r_reason: string | null;
      last_at: Date | string | null;
      followed_at: Date | string | null;
      recent: number;
    }>(
      `SELECT EXISTS (SELECT 1 FROM chat_moderators WHERE channel = $2 AND account = $3) AS is_mod,
              c.slow_mode_seconds, c.followers_only, c.follow_min_minutes, c.blocked_terms,
              (r.account IS NOT NULL) AS r_found, r.until AS r_until, r.reason AS r_reason,
              (SELECT created_at FROM chat_messages WHERE room = $1 AND author = $3 ORDER BY id DESC LIMIT 1) AS last_at,
              (SELECT created_at FROM follows WHERE follower = $3 AND creator = $2) AS followed_at,
              (SELECT count(*)::int FROM (SELECT created_at FROM chat_messages WHERE author = $3 ORDER BY id DESC LIMIT $6) x WHERE created_at > $5) AS recent
         FROM (SELECT 1) one
         LEFT JOIN chat_channels c ON c.channel = $2
         LEFT JOIN chat_restrictions r ON r.channel = $2 AND r.account = $3 AND (r.until IS NULL OR r.until > $4)`,
      [room, channel, account, now, since, rateLimit],
    );
    const row = r!;
    const date = (v: Date | string | null): Date | undefined => (v === null ? undefined : new Date(v));
    return {
      role: !channel ? 'viewer' : channel === account ? 'creator' : row.is_mod ? 'moderator' : 'viewer',
      settings:
        channel && row.slow_mode_seconds !== null
          ? { slowModeSeconds: row.slow_mode_seconds, followersOnly: row.followers_only!, followMinMinutes: row.follow_min_minutes!, blockedTerms: row.blocked_terms! }
          : DEFAULT_CHAT_SETTINGS,
      restriction: channel && row.r_found ? { until: row.r_until === null ? null : new Date(row.r_until), reason: row.r_reason ?? '' } : undefined,
      lastMessageAt: date(row.last_at),
      followedSince: channel ? date(row.followed_at) : undefined,
      recent: row.recent,
    };
  }

  /** Account ids of the handles named, at most 10. */
  async accountsByHandle(handles: string[]): Promise<string[]> {
    if (handles.length === 0) return [];
    const rows = await this.#db.query<{ account_id: string }>('SELECT account_id FROM profiles WHERE handle = ANY($1::text[])', [handles.slice(0, 10)]);
    return rows.map((r) => r.account_id);
  }

  /** A live, undeleted message of this room, for replies. */
  async replyTarget(room: string, id: string, db: Queryable = this.#db): Promise<boolean> {
    const rows = await db.query('SELECT 1 FROM chat_messages WHERE id = $1 AND room = $2 AND deleted_at IS NULL', [id, room]);
    return rows.length === 1;
  }

  async insert(
    db: Queryable,
    m: { room: string; author: string; text: string; replyTo: string | null; mentions: string[]; tip?: { id: string; amount: bigint }; at: Date },
  ): Promise<string | undefined> {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO chat_messages (room, author, text, reply_to, mentions, tip_id, tip_amount, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tip_id) DO NOTHING RETURNING id::text AS id`,
      [m.room, m.author, m.text, m.replyTo, m.mentions, m.tip?.id ?? null, m.tip?.amount.toString() ?? null, m.at],
    );
    return row?.id;
  }

  async message(id: string): Promise<ChatMessage | undefined> {
    const rows = await this.#db.query<MessageRow>(`${MESSAGE_SELECT} WHERE m.id = $1`, [id]);
    return rows[0] && toMessage(rows[0]);
  }

  /** Undeleted messages older than `before` (or the newest), oldest first. */
  async history(room: string, before: string | undefined, limit: number): Promise<ChatMessage[]> {
    const rows = await this.#db.query<MessageRow>(
      `${MESSAGE_SELECT} WHERE m.room = $1 AND m.deleted_at IS NULL AND ($2::bigint IS NULL OR m.id < $2::bigint) ORDER BY m.id DESC LIMIT $3`,
      [room, before ?? null, limit],
    );
    return rows.reverse().map(toMessage);
  }

  /** Soft-deletes messages; returns the ids that were still shown. */
  async softDelete(room: string, where: { id: string } | { author: string }, at: Date): Promise<string[]> {
    const rows =
      'id' in where
        ? await this.#db.query<{ id: string }>('UPDATE chat_messages SET deleted_at = $3 WHERE room = $1 AND id = $2 AND deleted_at IS NULL RETURNING id::text AS id', [room, where.id, at])
        : await this.#db.query<{ id: string }>(
            `UPDATE chat_messages SET deleted_at = $3 WHERE id IN (
               SELECT id FROM chat_messages WHERE room = $1 AND author = $2 AND deleted_at IS NULL ORDER BY id DESC LIMIT 500)
             RETURNING id::text AS id`,
            [room, where.author, at],
          );
    return rows.map((r) => r.id);
  }

  /** The author of a message of this room. */
  async authorOf(room: string, id: string): Promise<string | undefined> {
    const [row] = await this.#db.query<{ author: string }>('SELECT author FROM chat_messages WHERE id = $1 AND room = $2', [id, room]);
    return row?.author;
  }

  /** Who wrote in the room lately, newest first. */
  async recentChatters(room: string, channel: string | null): Promise<ChatAuthor[]> {
    const rows = await this.#db.query<{ id: string; handle: string | null; display_name: string | null; address: string; is_mod: boolean }>(
      `SELECT a.id, p.handle, a.display_name, a.address, (cm.account IS NOT NULL) AS is_mod
         FROM (SELECT author, max(id) AS last FROM (SELECT author, id FROM chat_messages WHERE room = $1 ORDER BY id DESC LIMIT 1000) r GROUP BY author) x
         JOIN user_accounts a ON a.id = x.author
         LEFT JOIN profiles p ON p.account_id = a.id
         LEFT JOIN chat_moderators cm ON cm.channel = $2 AND cm.account = a.id
        ORDER BY x.last DESC LIMIT 200`,
      [room, channel],
    );
    return rows.map((r) => ({ id: r.id, handle: r.handle, displayName: displayNameFor(r.display_name, r.address), badge: r.id === channel ? 'creator' : r.is_mod ? 'moderator' : null }));
  }
}

function toMessage(r: MessageRow): ChatMessage {
  return {
    id: r.id,
    room: r.room,
    author: { id: r.author, handle: r.handle, displayName: displayNameFor(r.display_name, r.address), badge: r.author === r.channel ? 'creator' : r.is_mod ? 'moderator' : null },
    text: r.text,
    replyTo: r.reply_id && !r.reply_deleted ? { id: r.reply_id, author: r.reply_author ?? '', text: (r.reply_text ?? '').slice(0, 140) } : null,
    mentions: r.mentions,
    tip: r.tip_amount ? { amount: r.tip_amount } : null,
    sentAt: new Date(r.created_at).toISOString(),
  };
}
