import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { AddressQuota } from '@vilokanam/contracts/address-quota';
import { CHAT_PROTOCOL_VERSION } from '@vilokanam/contracts/chat';
import { originAllowed, upgradeRefusal } from '@vilokanam/contracts/http';
import type { Member, MemberResolver } from '../http/member.ts';
import type { SocialMetrics } from '../SocialMetrics.ts';
import type { BusEnvelope, ChatBus } from './ChatBus.ts';
import type { ChatModeration } from './ChatModeration.ts';
import type { ChatService } from './ChatService.ts';
import { ChatSocket, type ChatSocketHost } from './ChatSocket.ts';

export interface ChatServerOptions {
  chat: ChatService;
  moderation: ChatModeration;
  bus: ChatBus;
  resolveMember: MemberResolver;
  log: Logger;
  metrics: SocialMetrics;
  /** The real client address of an upgrade request. */
  clientAddress: (req: IncomingMessage) => string;
  socketsPerIp: number;
  allowedOrigins?: readonly string[];
}

const HEARTBEAT_MS = 30_000;
const RECHECK_MS = 60_000;

/**
 * Chat's WebSocket side on one instance: which local sockets are in which room and signed in
 * as whom, and delivery of what the bus carries to them. A room's topic is subscribed while
 * any local socket is in it, so an instance hears only the rooms its sockets watch.
 */
export class ChatServer implements ChatSocketHost {
  readonly chat: ChatService;
  readonly moderation: ChatModeration;
  readonly log: Logger;
  readonly #o: ChatServerOptions;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });
  readonly #rooms = new Map<string, Set<ChatSocket>>();
  readonly #accounts = new Map<string, Set<ChatSocket>>();
  readonly #perIp: AddressQuota;
  readonly #checkedAt = new WeakMap<ChatSocket, number>();
  readonly #cookies = new WeakMap<ChatSocket, string | undefined>();
  readonly #alive = new WeakSet<WebSocket>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly ready: Promise<void>;

  constructor(o: ChatServerOptions) {
    this.#o = o;
    this.#perIp = new AddressQuota(o.socketsPerIp);
    this.chat = o.chat;
    this.moderation = o.moderation;
    this.log = o.log;
    o.bus.onEnvelope((e) => this.#deliver(e));
    this.ready = o.bus.subscribe('accounts');
    this.#heartbeat = setInterval(() => this.#beat(), HEARTBEAT_MS).unref();
  }

  /** Takes an upgrade request for the chat path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!originAllowed(req.headers.origin, req.headers.host, new Set(this.#o.allowedOrigins ?? []))) {
      return void socket.end(upgradeRefusal(403, 'forbidden', 'origin not allowed'));
    }
    const uncount = this.#perIp.take(this.#o.clientAddress(req));
    if (!uncount) return void socket.end(upgradeRefusal(429, 'rate_limited', 'too many chat sockets from this address', 5));
    socket.once('close', uncount);
    const cookie = req.headers.cookie;
    this.#o
      .resolveMember(cookie)
      .catch((err: unknown) => {
        this.log.error({ err }, 'chat sign-in lookup failed');
        return undefined;
      })
      .then((member) => {
        if (socket.destroyed) return;
        this.#wss.handleUpgrade(req, socket, head, (ws) => {
          ws.once('close', uncount);
          this.#accept(ws, member, cookie);
        });
      });
  }

  get clients(): number {
    return this.#wss.clients.size;
  }

  async enter(socket: ChatSocket, room: string): Promise<void> {
    let set = this.#rooms.get(room);
    if (!set) {
      this.#rooms.set(room, (set = new Set()));
      set.add(socket);
      await this.#o.bus.subscribe({ room });
      return;
    }
    set.add(socket);
  }

  leave(socket: ChatSocket, room: string): void {
    const set = this.#rooms.get(room);
    if (!set?.delete(socket) || set.size > 0) return;
    this.#rooms.delete(room);
    this.#o.bus.unsubscribe({ room }).catch((err: unknown) => this.log.warn({ err }, 'chat room unsubscribe failed'));
  }

  async recheck(socket: ChatSocket): Promise<Member | undefined> {
    const at = this.#checkedAt.get(socket) ?? 0;
    if (Date.now() - at < RECHECK_MS) return socket.member;
    const member = await this.#o.resolveMember(this.#cookies.get(socket));
    this.#checkedAt.set(socket, Date.now());
    if (member?.id !== socket.member?.id) {
      this.#forget(socket);
      socket.member = undefined;
    }
    return socket.member;
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }

  #accept(ws: WebSocket, member: Member | undefined, cookie: string | undefined): void {
    this.#alive.add(ws);
    ws.on('pong', () => this.#alive.add(ws));
    // Oversized or broken frames: ws closes the socket (1009, 1002) and reports it here.
    ws.on('error', (err) => this.log.debug({ code: (err as NodeJS.ErrnoException).code }, 'chat socket error'));
    this.#o.metrics.chatClients.inc();
    const socket = new ChatSocket(ws, member, this);
    this.#cookies.set(socket, cookie);
    this.#checkedAt.set(socket, Date.now());
    if (member) {
      let set = this.#accounts.get(member.id);
      if (!set) this.#accounts.set(member.id, (set = new Set()));
      set.add(socket);
    }
    ws.once('close', () => {
      this.#o.metrics.chatClients.dec();
      this.#forget(socket);
    });
  }

  #forget(socket: ChatSocket): void {
    const id = socket.member?.id;
    if (!id) return;
    const set = this.#accounts.get(id);
    set?.delete(socket);
    if (set?.size === 0) this.#accounts.delete(id);
  }

  #deliver(e: BusEnvelope): void {
    this.#o.metrics.chatFanoutLag.observe(Math.max(0, Date.now() - e.at) / 1000);
    const targets = 'room' in e ? this.#rooms.get(e.room) : 'account' in e ? this.#accounts.get(e.account) : undefined;
    if (!targets?.size) return;
    // Encoded once for the whole room: a string would be converted to bytes per socket.
    const frame = Buffer.from(JSON.stringify({ v: CHAT_PROTOCOL_VERSION, event: e.event, data: e.data }));
    let sent = 0;
    for (const s of targets) {
      if ('room' in e || e.event === 'notification' || s.rooms.has(e.data.room)) if (s.sendRaw(frame)) sent++;
    }
    this.#o.metrics.chatDeliveries.inc(sent);
  }

  #beat(): void {
    for (const ws of this.#wss.clients) {
      if (!this.#alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.#alive.delete(ws);
      ws.ping();
    }
  }
}
