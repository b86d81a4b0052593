import type { ChatRequestData } from '@vilokanam/contracts/chat';
import type { ModerationEntry } from '@vilokanam/contracts/social';
import type { Database } from '@vilokanam/settlement/db';
import type { Member } from '../http/member.ts';
import type { SocialMetrics } from '../SocialMetrics.ts';
import type { ChatBus } from './ChatBus.ts';
import { ChatError } from './ChatError.ts';
import type { ChatService } from './ChatService.ts';
import type { RoomInfo } from './ChatStore.ts';
import { displayNameFor } from '../profiles/profileSummaries.ts';

type Action = ModerationEntry['action'];

/**
 * What the creator and their moderators may do, checked at the server: delete messages, time
 * out, ban and unban accounts, and set the channel's chat modes. Moderators cannot act on the
 * creator or on each other; only the creator appoints them. Every action is logged for the creator.
 */
export class ChatModeration {
  readonly #db: Database;
  readonly #chat: ChatService;
  readonly #bus: ChatBus;
  readonly #metrics: SocialMetrics;
  readonly #now: () => number;

  constructor(o: { db: Database; chat: ChatService; bus: ChatBus; metrics: SocialMetrics; now?: () => number }) {
    this.#db = o.db;
    this.#chat = o.chat;
    this.#bus = o.bus;
    this.#metrics = o.metrics;
    this.#now = o.now ?? Date.now;
  }

  async delete(mod: Member, d: ChatRequestData<'delete'>): Promise<void> {
    const room = await this.#staffRoom(mod, d.room);
    const author = await this.#chat.store.authorOf(room.id, d.messageId);
    if (!author) throw new ChatError('not_found', 'no such message in this room');
    await this.#mayActOn(room, mod, author);
    const ids = await this.#chat.store.softDelete(room.id, { id: d.messageId }, new Date(this.#now()));
    await this.#log(room.channel, mod.id, 'delete', author, `message ${d.messageId}`);
    if (ids.length) await this.#bus.publish({ room: room.id }, { event: 'deleted', at: this.#now(), room: room.id, data: { room: room.id, messageIds: ids } });
  }

  async timeout(mod: Member, d: ChatRequestData<'timeout'>): Promise<void> {
    await this.#restrict(mod, d.room, d.account, new Date(this.#now() + d.seconds * 1000), d.reason ?? '', `${d.seconds} s`);
  }

  async ban(mod: Member, d: ChatRequestData<'ban'>): Promise<void> {
    await this.#restrict(mod, d.room, d.account, null, d.reason ?? '', 'ban');
  }

  async unban(mod: Member, d: ChatRequestData<'unban'>): Promise<void> {
    const room = await this.#staffRoom(mod, d.room);
    const rows = await this.#db.query('DELETE FROM chat_restrictions WHERE channel = $1 AND account = $2 RETURNING 1', [room.channel, d.account]);
    if (rows.length === 0) throw new ChatError('not_found', 'that account is not banned or timed out here');
    await this.#log(room.channel, mod.id, 'unban', d.account, '');
  }

  async settings(mod: Member, d: ChatRequestData<'settings'>): Promise<void> {
    const room = await this.#staffRoom(mod, d.room);
    const settings = { ...d.settings, blockedTerms: [...new Set(d.settings.blockedTerms.map((t) => t.toLocaleLowerCase('en')))] };
    await this.#chat.store.saveSettings(room.channel!, settings);
    await this.#log(room.channel, mod.id, 'settings', null, JSON.stringify({ ...settings, blockedTerms: settings.blockedTerms.length }));
    await this.#bus.publish({ room: room.id }, { event: 'settings', at: this.#now(), room: room.id, data: { room: room.id, settings } });
  }

  /** The creator appoints a moderator of their channel. */
  async appoint(creator: Member, account: string): Promise<void> {
    if (account === creator.id) throw new ChatError('bad_request', 'you already moderate your own channel');
    const known = await this.#db.query('SELECT 1 FROM user_accounts WHERE id = $1', [account]);
    if (known.length === 0) throw new ChatError('not_found', 'no such account');
    const rows = await this.#db.query('INSERT INTO chat_moderators (channel, account) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1', [creator.id, account]);
    if (rows.length) await this.#log(creator.id, creator.id, 'mod', account, '');
  }

  async dismiss(creator: Member, account: string): Promise<void> {
    const rows = await this.#db.query('DELETE FROM chat_moderators WHERE channel = $1 AND account = $2 RETURNING 1', [creator.id, account]);
    if (rows.length === 0) throw new ChatError('not_found', 'that account is not a moderator of your channel');
    await this.#log(creator.id, creator.id, 'unmod', account, '');
  }

  /** The channel's moderation log, newest first; for its creator. */
  async log(creator: Member, before?: string): Promise<ModerationEntry[]> {
    const rows = await this.#db.query<{ id: string; action: Action; moderator: string; m_name: string | null; m_addr: string; target: string | null; t_name: string | null; t_addr: string | null; detail: string; created_at: Date | string }>(
      `SELECT l.id::text AS id, l.action, l.moderator, m.display_name AS m_name, m.address AS m_addr, l.target, t.display_name AS t_name, t.address AS t_addr, l.detail, l.created_at
         FROM moderation_log l JOIN user_accounts m ON m.id = l.moderator LEFT JOIN user_accounts t ON t.id = l.target
        WHERE l.channel = $1 AND ($2::bigint IS NULL OR l.id < $2::bigint) ORDER BY l.id DESC LIMIT 100`,
      [creator.id, before ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      action: r.action,
      moderator: { id: r.moderator, displayName: displayNameFor(r.m_name, r.m_addr) },
      target: r.target ? { id: r.target, displayName: displayNameFor(r.t_name, r.t_addr!) } : null,
      detail: r.detail,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  async #restrict(mod: Member, roomId: string, account: string, until: Date | null, reason: string, detail: string): Promise<void> {
    const room = await this.#staffRoom(mod, roomId);
    await this.#mayActOn(room, mod, account);
    const known = await this.#db.query('SELECT 1 FROM user_accounts WHERE id = $1', [account]);
    if (known.length === 0) throw new ChatError('not_found', 'no such account');
    await this.#db.query(
      `INSERT INTO chat_restrictions (channel, account, until, reason, moderator) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (channel, account) DO UPDATE SET until = $3, reason = $4, moderator = $5, created_at = now()`,
      [room.channel, account, until, reason, mod.id],
    );
    await this.#log(room.channel, mod.id, until ? 'timeout' : 'ban', account, reason ? `${detail}: ${reason}` : detail);
    // As on Twitch: what a timed-out or banned account said in this room goes with it.
    const ids = await this.#chat.store.softDelete(room.id, { author: account }, new Date(this.#now()));
    const at = this.#now();
    if (ids.length) await this.#bus.publish({ room: room.id }, { event: 'deleted', at, room: room.id, data: { room: room.id, messageIds: ids } });
    const restriction = await this.#chat.restrictionOf(room, account);
    if (restriction) await this.#bus.publish('accounts', { event: 'restricted', at, account, data: { room: room.id, restriction } });
  }

  /** The room, if `mod` is its creator or one of their moderators. */
  async #staffRoom(mod: Member, roomId: string): Promise<RoomInfo & { channel: string }> {
    const room = await this.#chat.room(roomId);
    if (!room.channel || (await this.#chat.store.roleOf(room.channel, mod.id)) === 'viewer') {
      throw new ChatError('forbidden', 'only the creator and their moderators can do that');
    }
    return room as RoomInfo & { channel: string };
  }

  async #mayActOn(room: RoomInfo, mod: Member, target: string): Promise<void> {
    if (target === mod.id) throw new ChatError('bad_request', 'you cannot moderate yourself');
    const role = await this.#chat.store.roleOf(room.channel, target);
    if (role === 'creator') throw new ChatError('forbidden', 'nobody can moderate the creator in their own chat');
    if (role === 'moderator' && room.channel !== mod.id) throw new ChatError('forbidden', 'only the creator can act on a moderator');
  }

  async #log(channel: string | null, moderator: string, action: Action, target: string | null, detail: string): Promise<void> {
    this.#metrics.moderationActions.inc({ action });
    if (!channel) return;
    await this.#db.query('INSERT INTO moderation_log (channel, moderator, action, target, detail) VALUES ($1, $2, $3, $4, $5)', [channel, moderator, action, target, detail.slice(0, 1000)]);
  }
}
