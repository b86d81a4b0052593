import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import {
  CHAT_PROTOCOL_VERSION,
  CHAT_ROOMS_PER_SOCKET,
  ChatRequestFrame,
  ChatRequestSchemas,
  isChatRequestType,
  type ChatEventMap,
  type ChatEventName,
  type ChatRequestType,
  type ChatResponseFrame,
} from '@vilokanam/contracts/chat';
import { VilokanamError, zodMessage } from '@vilokanam/contracts/errors';
import { TokenBucket } from '@vilokanam/contracts/rate';
import type { ErrorCode } from '@vilokanam/contracts/signaling';
import type { Member } from '../http/member.ts';
import { ChatError } from './ChatError.ts';
import type { ChatModeration } from './ChatModeration.ts';
import type { ChatService } from './ChatService.ts';

export interface ChatSocketHost {
  chat: ChatService;
  moderation: ChatModeration;
  log: Logger;
  enter(socket: ChatSocket, room: string): Promise<void>;
  leave(socket: ChatSocket, room: string): void;
  /** Re-reads who the socket's cookie belongs to: a signed-out session stops writing. */
  recheck(socket: ChatSocket): Promise<Member | undefined>;
}

/** Requests a socket may have waiting; past this the client is flooding and is cut off. */
const MAX_QUEUED = 32;

/**
 * One tab's chat socket. Requests run one at a time, in order; each is parsed, bounded and
 * authorised before it touches anything. Reading needs nothing; writing needs the account the
 * socket's cookie named when it opened, and still names.
 */
export class ChatSocket {
  readonly ws: WebSocket;
  member: Member | undefined;
  readonly rooms = new Set<string>();
  readonly #host: ChatSocketHost;
  readonly #bucket = new TokenBucket(20, 5);
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;

  constructor(ws: WebSocket, member: Member | undefined, host: ChatSocketHost) {
    this.ws = ws;
    this.member = member;
    this.#host = host;
    ws.on('message', (raw, isBinary) => this.#receive(isBinary ? null : raw.toString()));
    ws.on('close', () => {
      for (const room of this.rooms) host.leave(this, room);
      this.rooms.clear();
    });
  }

  event<E extends ChatEventName>(event: E, data: ChatEventMap[E]): void {
    this.sendRaw(JSON.stringify({ v: CHAT_PROTOCOL_VERSION, event, data }));
  }

  /** An already serialised frame: one room event is encoded once for all its sockets. */
  sendRaw(text: string | Buffer): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    // A client that stops reading would make us buffer without bound: cut it off instead.
    if (this.ws.bufferedAmount > 4 * 1024 * 1024) {
      this.ws.close(1008, 'too slow to keep up');
      return false;
    }
    this.ws.send(text, { binary: false });
    return true;
  }

  #receive(text: string | null): void {
    if (text === null) return this.#error(null, 'bad_request', 'frames are JSON text');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return this.#error(null, 'bad_request', 'frame is not JSON');
    }
    const frame = ChatRequestFrame.safeParse(value);
    if (!frame.success) {
      const v = (value as { v?: unknown } | null)?.v;
      const id = typeof (value as { id?: unknown } | null)?.id === 'number' ? (value as { id: number }).id : null;
      if (v !== undefined && v !== CHAT_PROTOCOL_VERSION) return this.#error(id, 'unsupported_version', `protocol version ${CHAT_PROTOCOL_VERSION} only`);
      return this.#error(id, 'bad_request', zodMessage(frame.error, { root: 'frame', max: 3 }));
    }
    const { id, type, data } = frame.data;
    if (!this.#bucket.take()) return this.#error(id, 'rate_limited', 'too many requests: slow down');
    if (!isChatRequestType(type)) return this.#error(id, 'unknown_type', `unknown request type ${JSON.stringify(type.slice(0, 64))}`);
    if (this.#queued >= MAX_QUEUED) return void this.ws.close(1008, 'too many requests in flight');
    this.#queued++;
    this.#queue = this.#queue.then(async () => {
      try {
        this.#respond({ v: CHAT_PROTOCOL_VERSION, id, ok: true, data: await this.#handle(type, data) });
      } catch (err) {
        this.#fail(id, err);
      } finally {
        this.#queued--;
      }
    });
  }

  async #handle(type: ChatRequestType, raw: unknown): Promise<unknown> {
    const parsed = ChatRequestSchemas[type].safeParse(raw ?? {});
    if (!parsed.success) throw new ChatError('bad_request', zodMessage(parsed.error, { root: 'data', max: 3 }));
    const d = parsed.data as never;
    const { chat, moderation } = this.#host;
    switch (type) {
      case 'join':
        return this.#join(d);
      case 'leave':
        this.rooms.delete((d as { room: string }).room);
        this.#host.leave(this, (d as { room: string }).room);
        return {};
      case 'history':
        return { messages: await chat.history((d as { room: string }).room, (d as { before?: string }).before) };
      case 'chatters':
        return chat.chatters(this.member, (d as { room: string }).room);
      case 'send':
        return { message: await chat.send(await this.#writer(), d) };
      case 'delete':
        return moderation.delete(await this.#writer(), d).then(() => ({}));
      case 'timeout':
        return moderation.timeout(await this.#writer(), d).then(() => ({}));
      case 'ban':
        return moderation.ban(await this.#writer(), d).then(() => ({}));
      case 'unban':
        return moderation.unban(await this.#writer(), d).then(() => ({}));
      case 'settings':
        return moderation.settings(await this.#writer(), d).then(() => ({}));
    }
  }

  async #join(d: { room: string }): Promise<unknown> {
    if (!this.rooms.has(d.room) && this.rooms.size >= CHAT_ROOMS_PER_SOCKET) {
      throw new ChatError('conflict', `a socket can be in at most ${CHAT_ROOMS_PER_SOCKET} rooms: leave one first`);
    }
    const room = await this.#host.chat.room(d.room);
    // Subscribed before the history is read, so nothing said in between is missed; a message
    // in both arrives twice, and clients keep one per id.
    this.rooms.add(room.id);
    await this.#host.enter(this, room.id);
    try {
      return await this.#host.chat.join(this.member, room.id);
    } catch (err) {
      this.rooms.delete(room.id);
      this.#host.leave(this, room.id);
      throw err;
    }
  }

  async #writer(): Promise<Member> {
    const member = this.member && (await this.#host.recheck(this));
    if (!member) throw new ChatError('unauthorized', 'sign in to chat', { reason: 'sign_in', until: null, message: 'sign in to chat' });
    return member;
  }

  #fail(id: number, err: unknown): void {
    if (err instanceof VilokanamError) {
      const restriction = err instanceof ChatError ? err.restriction : undefined;
      this.#respond({ v: CHAT_PROTOCOL_VERSION, id, ok: false, error: { code: err.code as ErrorCode, message: err.message, ...(restriction ? { restriction } : {}) } });
      return;
    }
    this.#host.log.error({ err }, 'chat request failed');
    this.#error(id, 'internal', 'internal error');
  }

  #error(id: number | null, code: ErrorCode, message: string): void {
    this.#respond({ v: CHAT_PROTOCOL_VERSION, id, ok: false, error: { code, message } });
  }

  #respond(frame: ChatResponseFrame): void {
    this.sendRaw(JSON.stringify(frame));
  }
}
