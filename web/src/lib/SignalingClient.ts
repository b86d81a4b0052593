// One WebSocket to the signaling server with request/response correlation. Media
// classes own a client per connection attempt and throw it away on any drop, so this
// class never reconnects by itself: it only reports that it closed.
import type {
  ErrorCode,
  NotificationMap,
  RequestData,
  RequestType,
  ResponseMap,
} from '@vilokanam/contracts/signaling';
import { VilokanamError } from '@vilokanam/contracts/errors';
import { encodeRequest, parseServerFrame } from './frames.ts';
import { t } from '#lib/i18n/index.ts';

export type SignalingErrorCode = ErrorCode | 'timeout' | 'closed' | 'connect_failed';

export class SignalingError extends VilokanamError<SignalingErrorCode> {}

export interface CloseInfo {
  code: number;
  reason: string;
  /** True when this side called close(). */
  byClient: boolean;
}

export interface SignalingOptions {
  requestTimeoutMs?: number;
  openTimeoutMs?: number;
}

interface Pending {
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

type Handler<K extends keyof NotificationMap> = (data: NotificationMap[K]) => void;

/** `ws(s)://<this host>/api/v1/ws`: the API shares the page's origin. */
export function defaultSignalingUrl(loc: Pick<Location, 'protocol' | 'host'> = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api/v1/ws`;
}

export class SignalingClient {
  readonly #ws: WebSocket;
  readonly #requestTimeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #handlers = new Map<keyof NotificationMap, Set<(data: never) => void>>();
  readonly #closeHandlers = new Set<(info: CloseInfo) => void>();
  #nextId = 1;
  #closed = false;
  #closedByClient = false;

  private constructor(ws: WebSocket, options: SignalingOptions) {
    this.#ws = ws;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    ws.addEventListener('message', (ev) => this.#onMessage(ev.data));
    ws.addEventListener('close', (ev) => this.#onClose(ev.code, ev.reason));
  }

  /** Open a socket; resolves once it is open, rejects if it cannot open in time. */
  static connect(url: string = defaultSignalingUrl(), options: SignalingOptions = {}): Promise<SignalingClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const fail = (message: string) => {
        clearTimeout(timer);
        ws.removeEventListener('open', onOpen);
        ws.removeEventListener('close', onEarlyClose);
        ws.close();
        reject(new SignalingError('connect_failed', message));
      };
      const onOpen = () => {
        clearTimeout(timer);
        ws.removeEventListener('close', onEarlyClose);
        resolve(new SignalingClient(ws, options));
      };
      const onEarlyClose = () => fail(t('errors.signalingUnreachable'));
      const timer = setTimeout(() => fail(t('errors.signalingTimeout')), options.openTimeoutMs ?? 8_000);
      ws.addEventListener('open', onOpen, { once: true });
      ws.addEventListener('close', onEarlyClose, { once: true });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  request<T extends RequestType>(type: T, data: RequestData<T>): Promise<ResponseMap[T]> {
    if (this.#closed || this.#ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new SignalingError('closed', `Cannot send ${type}: connection closed`));
    }
    const id = this.#nextId++;
    return new Promise<ResponseMap[T]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalingError('timeout', `${type} timed out`));
      }, this.#requestTimeoutMs);
      // The response shape is fixed by ResponseMap, which the server is typed against.
      this.#pending.set(id, { resolve: resolve as (data: unknown) => void, reject, timer });
      this.#ws.send(encodeRequest(id, type, data));
    });
  }

  /** Subscribe to a server notification; returns an unsubscribe function. */
  on<K extends keyof NotificationMap>(event: K, handler: Handler<K>): () => void {
    let set = this.#handlers.get(event);
    if (!set) {
      set = new Set();
      this.#handlers.set(event, set);
    }
    const stored = handler as (data: never) => void;
    set.add(stored);
    return () => set.delete(stored);
  }

  onClose(handler: (info: CloseInfo) => void): () => void {
    this.#closeHandlers.add(handler);
    return () => this.#closeHandlers.delete(handler);
  }

  close(code = 1000, reason = 'client closed'): void {
    if (this.#closed) return;
    this.#closedByClient = true;
    this.#ws.close(code, reason);
    // Settle now rather than waiting for the close handshake, so callers can move on.
    this.#onClose(code, reason);
  }

  #onMessage(raw: unknown): void {
    const frame = parseServerFrame(raw);
    switch (frame.kind) {
      case 'invalid':
        console.warn('[signaling] dropped frame:', frame.reason);
        return;
      case 'notification': {
        const set = this.#handlers.get(frame.frame.event);
        if (!set) return;
        for (const handler of [...set]) {
          try {
            (handler as (data: unknown) => void)(frame.frame.data);
          } catch (error) {
            console.error(`[signaling] ${frame.frame.event} handler failed`, error);
          }
        }
        return;
      }
      case 'response': {
        if (frame.id === null) {
          console.warn('[signaling] uncorrelated error:', frame.ok ? '' : frame.error.message);
          return;
        }
        const pending = this.#pending.get(frame.id);
        if (!pending) return; // already timed out
        this.#pending.delete(frame.id);
        clearTimeout(pending.timer);
        if (frame.ok) pending.resolve(frame.data);
        else pending.reject(new SignalingError(frame.error.code, frame.error.message));
      }
    }
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new SignalingError('closed', t('errors.closedEarly')));
    }
    this.#pending.clear();
    const info: CloseInfo = { code, reason, byClient: this.#closedByClient };
    for (const handler of [...this.#closeHandlers]) handler(info);
    this.#closeHandlers.clear();
    this.#handlers.clear();
  }
}
