// One chat WebSocket per tab, shared by every chat panel on the page and by the notification
// bell. Unlike SignalingClient it reconnects by itself (chat has no media to rebuild): after a
// drop it opens a new socket with the shared backoff and joins its rooms again, and each room's
// panel hears `joined` again and reloads its history. The socket lives while anything holds it.
import {
  CHAT_WS_PATH,
  type ChatEventMap,
  type ChatJoined,
  type ChatRequestData,
  type ChatRequestType,
  type ChatRestriction,
} from '@vilokanam/contracts/chat';
import type { BackoffOptions } from '@vilokanam/contracts/backoff';
import { VilokanamError } from '@vilokanam/contracts/errors';
import { t } from '#lib/i18n/index.ts';
import { Observable } from '../observable.ts';
import { RetryLoop } from '../RetryLoop.ts';
import { EventHandlers } from '../socket/EventHandlers.ts';
import { PendingRequests } from '../socket/PendingRequests.ts';
import { sameOriginWsUrl } from '../socket/wsUrl.ts';
import { encodeChatRequest, parseChatFrame, type ChatResponseMap, type ChatServerFrame } from './frames.ts';

/** A refused or failed chat request: the server's code and message, and why the account may not write. */
export class ChatError extends VilokanamError<string> {
  readonly restriction: ChatRestriction | null;

  constructor(code: string, message: string, restriction: ChatRestriction | null = null) {
    super(code, message);
    this.restriction = restriction;
  }
}

/** The part of a WebSocket the client uses, so tests can hand it a fake. */
export interface ChatSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

export type ChatConnection = 'idle' | 'connecting' | 'open' | 'reconnecting';

/** Server events, plus the client's own: a room (re)joined, or refused. */
export interface ChatClientEvents extends ChatEventMap {
  joined: ChatJoined;
  joinFailed: { room: string; error: ChatError };
}

export interface ChatClientOptions {
  url?: () => string;
  open?: (url: string) => ChatSocket;
  requestTimeoutMs?: number;
  openTimeoutMs?: number;
  backoff?: BackoffOptions;
}

const OPEN = 1;

/** `ws(s)://<this host>/api/v1/chat`: the API shares the page's origin. */
export function defaultChatUrl(loc: Pick<Location, 'protocol' | 'host'> = location): string {
  return sameOriginWsUrl(CHAT_WS_PATH, loc);
}

export class ChatClient {
  readonly connection = new Observable<ChatConnection>('idle');
  readonly #options: Required<Omit<ChatClientOptions, 'backoff'>> & { backoff: BackoffOptions };
  readonly #pending: PendingRequests;
  readonly #handlers = new EventHandlers<ChatClientEvents>('chat');
  /** Rooms to be in: joined now, or joined again after the next reconnect. */
  readonly #rooms = new Set<string>();
  readonly #joinWaiters = new Map<string, { resolve: (j: ChatJoined) => void; reject: (e: Error) => void }[]>();
  #loop: RetryLoop | null = null;
  #socket: ChatSocket | null = null;
  #holds = 0;
  /** The signed-in account the socket was opened as; undefined until the page knows. */
  #identity: string | null | undefined = undefined;

  constructor(options: ChatClientOptions = {}) {
    this.#options = {
      url: options.url ?? (() => defaultChatUrl()),
      open: options.open ?? ((url) => new WebSocket(url)),
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      openTimeoutMs: options.openTimeoutMs ?? 8_000,
      backoff: options.backoff ?? { jitter: 0.2 },
    };
    this.#pending = new PendingRequests(this.#options.requestTimeoutMs);
  }

  /** Keeps the socket open until the returned release is called (once per hold). */
  hold(): () => void {
    this.#holds += 1;
    if (!this.#loop) {
      this.#loop = new RetryLoop((generation) => this.#connect(generation), this.#options.backoff);
      this.connection.set('connecting');
      this.#loop.start();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds -= 1;
      if (this.#holds === 0) this.#shutdown();
    };
  }

  /** The session cookie rides on the socket's handshake: a new account needs a new socket. */
  identify(accountId: string | null): void {
    const before = this.#identity;
    this.#identity = accountId;
    if (before === undefined || before === accountId || !this.#loop) return;
    this.connection.set('connecting');
    this.#loop.start();
  }

  /** Joins a room now (or once connected) and after every reconnect, until left. */
  join(room: string): Promise<ChatJoined> {
    this.#rooms.add(room);
    const joined = new Promise<ChatJoined>((resolve, reject) => {
      const list = this.#joinWaiters.get(room) ?? [];
      list.push({ resolve, reject });
      this.#joinWaiters.set(room, list);
    });
    if (this.#socket?.readyState === OPEN) void this.#joinRoom(room);
    return joined;
  }

  leave(room: string): void {
    if (!this.#rooms.delete(room)) return;
    this.#settleJoin(room, new ChatError('closed', t('chat.errors.closed')));
    if (this.#socket?.readyState === OPEN) this.request('leave', { room }).catch(() => {});
  }

  request<T extends ChatRequestType>(type: T, data: ChatRequestData<T>): Promise<ChatResponseMap[T]> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) return Promise.reject(new ChatError('closed', t('chat.errors.closed')));
    // The answer's shape is ChatResponseMap's, which the contract fixes per request type.
    return this.#pending.send<ChatResponseMap[T]>(
      (id) => socket.send(encodeChatRequest(id, type, data)),
      () => new ChatError('timeout', t('chat.errors.timeout')),
    );
  }

  /** Subscribe to an event; returns the unsubscribe. */
  on<E extends keyof ChatClientEvents>(event: E, handler: (data: ChatClientEvents[E]) => void): () => void {
    return this.#handlers.on(event, handler);
  }

  #connect(generation: number): void {
    const loop = this.#loop;
    if (!loop) return;
    this.#drop();
    let socket: ChatSocket;
    try {
      socket = this.#options.open(this.#options.url());
    } catch {
      this.#lost(generation);
      return;
    }
    this.#socket = socket;
    const openTimer = setTimeout(() => this.#lost(generation), this.#options.openTimeoutMs);
    socket.addEventListener('open', () => {
      clearTimeout(openTimer);
      if (!loop.isCurrent(generation)) return;
      this.connection.set('open');
      void this.#rejoin(generation);
    });
    socket.addEventListener('message', (event) => {
      if (loop.isCurrent(generation)) this.#onFrame(parseChatFrame(event.data));
    });
    socket.addEventListener('close', () => {
      clearTimeout(openTimer);
      this.#lost(generation);
    });
  }

  /** Joins every room again; a healthy connection resets the backoff. */
  async #rejoin(generation: number): Promise<void> {
    const results = await Promise.all([...this.#rooms].map((room) => this.#joinRoom(room)));
    if (this.#loop?.isCurrent(generation) && results.every(Boolean)) this.#loop.succeeded();
  }

  async #joinRoom(room: string): Promise<boolean> {
    try {
      const joined = await this.request('join', { room });
      if (!this.#rooms.has(room)) return true;
      this.#handlers.emit('joined', joined);
      this.#settleJoin(room, joined);
      return true;
    } catch (e) {
      const error = e instanceof ChatError ? e : new ChatError('internal', t('chat.errors.closed'));
      if (error.code === 'closed' || error.code === 'timeout') return false;
      // Refused (no such stream, too many rooms): asking again after a reconnect will not help.
      this.#rooms.delete(room);
      this.#handlers.emit('joinFailed', { room, error });
      this.#settleJoin(room, error);
      return true;
    }
  }

  #settleJoin(room: string, outcome: ChatJoined | Error): void {
    const waiters = this.#joinWaiters.get(room) ?? [];
    this.#joinWaiters.delete(room);
    for (const w of waiters) {
      if (outcome instanceof Error) w.reject(outcome);
      else w.resolve(outcome);
    }
  }

  #onFrame(frame: ChatServerFrame): void {
    if (frame.kind === 'invalid') {
      console.warn('[chat] dropped frame:', frame.reason);
      return;
    }
    if (frame.kind === 'event') {
      this.#handlers.emit(frame.event, frame.data);
      return;
    }
    if (frame.id === null) {
      console.warn('[chat] uncorrelated error:', frame.ok ? '' : frame.error.code);
      return;
    }
    if (frame.ok) this.#pending.resolve(frame.id, frame.data);
    else this.#pending.reject(frame.id, new ChatError(frame.error.code, frame.error.message, frame.error.restriction ?? null));
  }

  /** The socket of `generation` closed or never opened: drop it and try again after a pause. */
  #lost(generation: number): void {
    if (!this.#loop?.isCurrent(generation)) return;
    this.#drop();
    this.connection.set('reconnecting');
    this.#loop.retry(generation);
  }

  /** Close the current socket (if any) and fail what was waiting on it. */
  #drop(): void {
    const socket = this.#socket;
    this.#socket = null;
    if (socket && socket.readyState <= OPEN) socket.close(1000, 'client closed');
    this.#pending.failAll(() => new ChatError('closed', t('chat.errors.closed')));
  }

  #shutdown(): void {
    this.#loop?.stop();
    this.#loop = null;
    this.#drop();
    for (const room of [...this.#joinWaiters.keys()]) this.#settleJoin(room, new ChatError('closed', t('chat.errors.closed')));
    this.#rooms.clear();
    this.connection.set('idle');
  }
}

/** The tab's one chat connection. */
export const chatClient = new ChatClient();
