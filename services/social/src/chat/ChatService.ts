import type { Logger } from 'pino';
import {
  CHAT_HISTORY_PAGE,
  type ChatAuthor,
  type ChatJoined,
  type ChatMessage,
  type ChatRequestData,
  type ChatRestriction,
  type ChatSettings,
  type Emote,
} from '@vilokanam/contracts/chat';
import type { Database } from '@vilokanam/settlement/db';
import type { Member } from '../http/member.ts';
import type { SocialMetrics } from '../SocialMetrics.ts';
import type { ChatBus } from './ChatBus.ts';
import { ChatError } from './ChatError.ts';
import { blockedTermIn, mentionedHandles, writeRestriction } from './ChatRules.ts';
import { ChatStore, type RoomInfo } from './ChatStore.ts';

export interface ChatServiceOptions {
  db: Database;
  bus: ChatBus;
  log: Logger;
  metrics: SocialMetrics;
  /** The platform emotes and the channel's own. */
  emotes: (channel: string | null) => Promise<Emote[]>;
  /** Messages one account may send across all rooms per rateWindowMs. */
  ratePerWindow?: number;
  rateWindowMs?: number;
  now?: () => number;
}

/**
 * Chat's rules, enforced at the server: who may read (anyone), write (signed in, not banned or
 * timed out, within slow mode, followers-only and the rate), and moderate (the creator and
 * their moderators). Accepted events go to the bus, never straight to sockets, so every
 * instance delivers them in one order.
 */
export class ChatService {
  readonly store: ChatStore;
  readonly #o: Required<Omit<ChatServiceOptions, 'emotes'>> & Pick<ChatServiceOptions, 'emotes'>;
  readonly #rooms = new Map<string, { info: RoomInfo; at: number }>();

  constructor(o: ChatServiceOptions) {
    this.#o = { ratePerWindow: 5, rateWindowMs: 10_000, now: Date.now, ...o };
    this.store = new ChatStore(o.db);
  }

  /** A stream's room; cached for a few seconds: its owner never changes, its status seldom. */
  async room(id: string): Promise<RoomInfo> {
    const now = this.#o.now();
    const hit = this.#rooms.get(id);
    if (hit && now - hit.at < 5_000) return hit.info;
    const info = await this.store.room(id);
    if (!info) throw new ChatError('not_found', 'no such stream');
    if (this.#rooms.size > 10_000) this.#rooms.clear();
    this.#rooms.set(id, { info, at: now });
    return info;
  }

  async join(member: Member | undefined, roomId: string): Promise<ChatJoined> {
    const room = await this.room(roomId);
    const [history, settings, emotes] = await Promise.all([this.store.history(room.id, undefined, CHAT_HISTORY_PAGE), this.store.settings(room.channel), this.#o.emotes(room.channel)]);
    if (!member) {
      return { room: room.id, history, settings, emotes, role: 'anonymous', restriction: { reason: 'sign_in', until: null, message: 'sign in to chat' } };
    }
    const role = await this.store.roleOf(room.channel, member.id);
    return { room: room.id, history, settings, emotes, role, restriction: await this.restrictionOf(room, member.id) };
  }

  /** Why the account cannot write here right now, if it cannot. */
  async restrictionOf(room: RoomInfo, account: string): Promise<ChatRestriction | null> {
    const now = new Date(this.#o.now());
    const facts = await this.store.writeFacts(this.#o.db, room.id, room.channel, account, now, now, 0);
    return writeRestriction({ ...facts, now });
  }

  async history(roomId: string, before: string | undefined): Promise<ChatMessage[]> {
    const room = await this.room(roomId);
    return this.store.history(room.id, before, CHAT_HISTORY_PAGE);
  }

  async chatters(member: Member | undefined, roomId: string): Promise<{ chatters: ChatAuthor[]; restricted?: { account: string; until: string | null; reason: string }[] }> {
    const room = await this.room(roomId);
    const chatters = await this.store.recentChatters(room.id, room.channel);
    if (!member || !room.channel || (await this.store.roleOf(room.channel, member.id)) === 'viewer') return { chatters };
    const rows = await this.#o.db.query<{ account: string; until: Date | string | null; reason: string }>(
      'SELECT account, until, reason FROM chat_restrictions WHERE channel = $1 AND (until IS NULL OR until > $2) ORDER BY created_at DESC LIMIT 200',
      [room.channel, new Date(this.#o.now())],
    );
    return { chatters, restricted: rows.map((r) => ({ account: r.account, until: r.until === null ? null : new Date(r.until).toISOString(), reason: r.reason })) };
  }

  /** Writes a message: every rule is checked under the author's lock, then it goes to the bus. */
  async send(member: Member, d: ChatRequestData<'send'>): Promise<ChatMessage> {
    const room = await this.room(d.room);
    if (room.status === 'ended') throw this.#refuse('ended', new ChatError('stream_not_live', 'this stream has ended; its chat is read-only'));
    const at = new Date(this.#o.now());
    const mentions = await this.store.accountsByHandle(mentionedHandles(d.text));
    const id = await this.#o.db.transaction(async (tx) => {
      // One writer per account at a time, on every instance: slow mode and the rate hold under races.
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [member.id]);
      const facts = await this.store.writeFacts(tx, room.id, room.channel, member.id, at, new Date(at.getTime() - this.#o.rateWindowMs), this.#o.ratePerWindow);
      const { role, settings } = facts;
      const restriction = writeRestriction({ ...facts, now: at });
      if (restriction) throw this.#refuse(restriction.reason, new ChatError('forbidden', restriction.message, restriction));
      const term = role === 'viewer' ? blockedTermIn(d.text, settings.blockedTerms) : undefined;
      if (term !== undefined) throw this.#refuse('blocked_term', new ChatError('bad_request', 'your message contains a term this channel blocks'));
      if (facts.recent >= this.#o.ratePerWindow) throw this.#refuse('rate', new ChatError('rate_limited', `at most ${this.#o.ratePerWindow} messages per ${this.#o.rateWindowMs / 1000} seconds`));
      const replyTo = d.replyTo && (await this.store.replyTarget(room.id, d.replyTo, tx)) ? d.replyTo : null;
      return this.store.insert(tx, { room: room.id, author: member.id, text: d.text, replyTo, mentions, at });
    });
    const message = (await this.store.message(id!))!;
    this.#o.metrics.chatMessages.inc();
    await this.#o.bus.publish({ room: room.id }, { event: 'message', at: this.#o.now(), room: room.id, data: message });
    return message;
  }

  /** A tip's line in chat, once per tip: a retried tip request finds it already written. */
  async tipMessage(member: Member, roomId: string, tip: { id: string; amount: bigint; text: string }): Promise<void> {
    const room = await this.room(roomId);
    const id = await this.store.insert(this.#o.db, { room: room.id, author: member.id, text: tip.text, replyTo: null, mentions: [], tip: { id: tip.id, amount: tip.amount }, at: new Date(this.#o.now()) });
    if (!id) return;
    const message = (await this.store.message(id))!;
    await this.#o.bus.publish({ room: room.id }, { event: 'message', at: this.#o.now(), room: room.id, data: message });
  }

  #refuse(reason: string, err: ChatError): ChatError {
    this.#o.metrics.chatRefused.inc({ reason });
    return err;
  }
}
