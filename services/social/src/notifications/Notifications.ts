import type { Notification } from '@vilokanam/contracts/chat';
import type { NotificationsResponse } from '@vilokanam/contracts/social';
import type { Database } from '@vilokanam/settlement/db';
import { displayNameFor } from '../profiles/profileSummaries.ts';
import type { SocialMetrics } from '../SocialMetrics.ts';

/** Notifications GET /me/notifications returns: the newest ones. */
export const NOTIFICATIONS_PAGE = 30;

export interface LiveNotice {
  /** Followers notified by this call: the ones to push to in-app now. Empty when repeated. */
  notified: string[];
  /** The notice as `account` sees it; only for accounts in `notified`. */
  notification(account: string): Notification;
}

interface NotificationRow {
  id: string;
  created_at: Date | string;
  read_at: Date | string | null;
  creator: string;
  address: string;
  display_name: string | null;
  handle: string | null;
  stream: string;
  title: string;
  category: string;
}

const SELECT_NOTIFICATION = `
  SELECT n.id::text AS id, n.created_at, n.read_at, n.creator, a.address, a.display_name, p.handle,
         n.stream, s.title, s.category
    FROM notifications n
    JOIN streams s ON s.id = n.stream
    JOIN user_accounts a ON a.id = n.creator
    LEFT JOIN profiles p ON p.account_id = n.creator`;

/**
 * Go-live notices, kept so a follower who had the site closed finds them unread on their next
 * visit. Pushing them to open tabs is the caller's part, with what `recordLive` returns.
 */
export class Notifications {
  readonly #db: Database;
  readonly #metrics: SocialMetrics;

  constructor(db: Database, metrics: SocialMetrics) {
    this.#db = db;
    this.#metrics = metrics;
  }

  /**
   * Records that a stream went live for each follower of its creator. Call it once the stream
   * is marked live; a stream that is not live, or has no creator, notifies no one. Repeating
   * it (a second report, another replica) notifies no one twice.
   */
  async recordLive(streamId: string): Promise<LiveNotice> {
    const inserted = await this.#db.query<{ id: string; account: string; created_at: Date | string }>(
      `INSERT INTO notifications (account, kind, creator, stream)
       SELECT f.follower, 'live', s.creator_id, s.id
         FROM streams s JOIN follows f ON f.creator = s.creator_id
        WHERE s.id = $1 AND s.status = 'live'
       ON CONFLICT (account, stream, kind) DO NOTHING
       RETURNING id::text AS id, account, created_at`,
      [streamId],
    );
    if (inserted.length === 0) return { notified: [], notification: notNotified };
    this.#metrics.notifications.inc(inserted.length);
    // Every row names the same creator and stream, so one read describes them all.
    const [about] = await this.#db.query<NotificationRow>(`${SELECT_NOTIFICATION} WHERE n.id = $1`, [inserted[0]!.id]);
    const byAccount = new Map(inserted.map((r) => [r.account, r]));
    return {
      notified: inserted.map((r) => r.account),
      notification(account: string): Notification {
        const row = byAccount.get(account);
        if (!row || !about) return notNotified(account);
        return toNotification({ ...about, id: row.id, created_at: row.created_at, read_at: null });
      },
    };
  }

  /** The account's newest notifications and how many of all of them are unread. */
  async list(account: string): Promise<NotificationsResponse> {
    const rows = await this.#db.query<NotificationRow>(`${SELECT_NOTIFICATION} WHERE n.account = $1 ORDER BY n.id DESC LIMIT ${NOTIFICATIONS_PAGE}`, [account]);
    return { notifications: rows.map(toNotification), unread: await this.unread(account) };
  }

  async unread(account: string): Promise<number> {
    const [row] = await this.#db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE account = $1 AND read_at IS NULL', [account]);
    return row?.n ?? 0;
  }

  /** Marks the given notifications of the account read, or all when `ids` is absent; returns the unread left. */
  async markRead(account: string, ids?: string[]): Promise<number> {
    await this.#db.query(
      `UPDATE notifications SET read_at = now()
        WHERE account = $1 AND read_at IS NULL AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`,
      [account, ids ?? null],
    );
    return this.unread(account);
  }
}

function notNotified(account: string): never {
  throw new Error(`account ${account} was not notified by this call`);
}

function toNotification(r: NotificationRow): Notification {
  return {
    id: r.id,
    kind: 'live',
    creator: { id: r.creator, handle: r.handle, displayName: displayNameFor(r.display_name, r.address) },
    stream: { id: r.stream, title: r.title, category: r.category },
    createdAt: new Date(r.created_at).toISOString(),
    read: r.read_at !== null,
  };
}
