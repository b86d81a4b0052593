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
import { EventHandlers } from './socket/EventHandlers.ts';
import { PendingRequests } from './socket/PendingRequests.ts';
import { sameOriginWsUrl } from './socket/wsUrl.ts';

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

type Handler<K extends keyof NotificationMap> = (data: NotificationMap[K]) => void;

/** `ws(s)://<this host>/api/v1/ws`: the API shares the page's origin. */
export function defaultSignalingUrl(loc: Pick<Location, 'protocol' | 'host'> = location): string {
  return sameOriginWsUrl('/api/v1/ws', loc);
}

export class SignalingClient {
  readonly #ws: WebSocket;
  readonly #pending: PendingRequests;
  readonly #handlers = new EventHandlers<NotificationMap>('signaling');
  readonly #closeHandlers = new Set<(info: CloseInfo) => void>();
  #closed = false;
  #closedByClient = false;

  private constructor(ws: WebSocket, options: SignalingOptions) {
    this.#ws = ws;
    this.#pending = new PendingRequests(options.requestTimeoutMs ?? 10_000);
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
    // The response shape is fixed by ResponseMap, which the server is typed against.
    return this.#pending.send<ResponseMap[T]>(
      (id) => this.#ws.send(encodeRequest(id, type, data)),
      () => new SignalingError('timeout', `${type} timed out`),
    );
  }

  /** Subscribe to a server notification; returns an unsubscribe function. */
  on<K extends keyof NotificationMap>(event: K, handler: Handler<K>): () => void {
    return this.#handlers.on(event, handler);
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
      case 'notification':
        this.#handlers.emit(frame.frame.event, frame.frame.data);
        return;
      case 'response': {
        if (frame.id === null) {
          console.warn('[signaling] uncorrelated error:', frame.ok ? '' : frame.error.message);
          return;
        }
        if (frame.ok) this.#pending.resolve(frame.id, frame.data);
        else this.#pending.reject(frame.id, new SignalingError(frame.error.code, frame.error.message));
      }
    }
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending.failAll(() => new SignalingError('closed', t('errors.closedEarly')));
    const info: CloseInfo = { code, reason, byClient: this.#closedByClient };
    for (const handler of [...this.#closeHandlers]) handler(info);
    this.#closeHandlers.clear();
    this.#handlers.clear();
  }
}
