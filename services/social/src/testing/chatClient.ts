// A chat client for tests: real WebSocket, request/response by id, events collected in order.
import WebSocket from 'ws';
import { CHAT_PROTOCOL_VERSION, CHAT_WS_PATH, type ChatEventName } from '@vilokanam/contracts/chat';
import { waitFor } from '@vilokanam/testkit';

export interface Reply {
  ok: boolean;
  data?: any;
  error?: { code: string; message: string; restriction?: { reason: string; until: string | null } };
}

export class TestChatClient {
  readonly ws: WebSocket;
  readonly events: { event: ChatEventName; data: any }[] = [];
  readonly errors: Reply[] = [];
  #id = 0;
  readonly #pending = new Map<number, (r: Reply) => void>();

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString());
      if (frame.event) this.events.push({ event: frame.event, data: frame.data });
      else if (typeof frame.id === 'number' && this.#pending.has(frame.id)) {
        this.#pending.get(frame.id)!(frame);
        this.#pending.delete(frame.id);
      } else this.errors.push(frame);
    });
  }

  static async connect(baseUrl: string, opts: { cookie?: string; origin?: string } = {}): Promise<TestChatClient> {
    const headers: Record<string, string> = {};
    if (opts.cookie) headers.cookie = opts.cookie;
    if (opts.origin) headers.origin = opts.origin;
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${CHAT_WS_PATH}`, { headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return new TestChatClient(ws);
  }

  request(type: string, data: unknown): Promise<Reply> {
    const id = ++this.#id;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.ws.send(JSON.stringify({ v: CHAT_PROTOCOL_VERSION, id, type, data }));
    });
  }

  /** Texts of the `message` events of a room, in arrival order. */
  texts(room: string): string[] {
    return this.events.filter((e) => e.event === 'message' && e.data.room === room).map((e) => e.data.text);
  }

  async waitForEvent(pred: (e: { event: ChatEventName; data: any }) => boolean, what: string): Promise<{ event: ChatEventName; data: any }> {
    return waitFor(what, () => this.events.find(pred), 10_000);
  }

  close(): void {
    this.ws.close();
  }
}
