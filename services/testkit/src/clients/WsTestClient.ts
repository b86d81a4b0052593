// A signaling client for integration tests: real sockets, real frames, no shortcuts.
import WebSocket from 'ws';
import type { NotificationMap } from '@vilokanam/contracts/signaling';

export interface Reply {
  v: number;
  id: number | null;
  ok: boolean;
  data?: any;
  error?: { code: string; message: string };
}

export class WsTestClient {
  readonly socket: WebSocket;
  readonly events: { event: keyof NotificationMap; data: any }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Called for every notification as it arrives (they are also kept in `events`). */
  onEvent: ((e: { event: keyof NotificationMap; data: any }) => void) | undefined;
  #nextId = 1;
  readonly #pending = new Map<number | null, (r: Reply) => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (raw) => {
      const frame = JSON.parse(raw.toString());
      if ('event' in frame) {
        this.events.push(frame);
        this.onEvent?.(frame);
      }
      else this.#pending.get(frame.id)?.(frame);
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** `path`: another socket of the same frame shape (social's chat); `cookie`: a signed-in session. */
  static async connect(baseUrl: string, opts: { path?: string; cookie?: string } = {}): Promise<WsTestClient> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${opts.path ?? '/api/v1/ws'}`, opts.cookie ? { headers: { cookie: opts.cookie } } : {});
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new WsTestClient(socket);
  }

  request(type: string, data?: unknown): Promise<Reply> {
    const id = this.#nextId++;
    return this.raw({ v: 1, id, type, data }, id);
  }

  /** Sends any frame and waits for the reply to `replyId` (null for unparseable frames). */
  raw(frame: unknown, replyId: number | null): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(frame).slice(0, 80)}`)), 5000);
      this.#pending.set(replyId, (r) => {
        clearTimeout(timer);
        this.#pending.delete(replyId);
        resolve(r);
      });
      this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    });
  }

  async waitForEvent<K extends keyof NotificationMap>(event: K, match: (d: NotificationMap[K]) => boolean = () => true, timeoutMs = 5000): Promise<NotificationMap[K]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find((e) => e.event === event && match(e.data));
      if (hit) return hit.data;
      if (Date.now() > deadline) throw new Error(`no ${event} event`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.close();
  }
}
