import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientAddress } from '../http/clientAddress.ts';
import { Session, type SessionDeps } from './Session.ts';

export const WS_PATH = '/api/v1/ws';
const MAX_FRAME_BYTES = 64 * 1024;
const HEARTBEAT_MS = 15_000;

/** Accepts signaling sockets on one path and keeps dead ones from holding media. */
export class SignalingServer {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  readonly #alive = new WeakSet<WebSocket>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #deps: SessionDeps;

  readonly #allowedOrigins: Set<string>;
  readonly #clientAddress: ClientAddress;
  readonly #socketsPerIp: number;
  /** Open sockets per client address. */
  readonly #perIp = new Map<string, number>();

  constructor(server: Server, deps: SessionDeps & { allowedOrigins?: readonly string[]; clientAddress: ClientAddress; socketsPerIp: number }) {
    this.#deps = deps;
    this.#allowedOrigins = new Set(deps.allowedOrigins ?? []);
    this.#clientAddress = deps.clientAddress;
    this.#socketsPerIp = deps.socketsPerIp;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path !== WS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":{"code":"not_found","message":"no websocket at this path"}}');
        return;
      }
      if (!this.#originAllowed(req)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":{"code":"forbidden","message":"origin not allowed"}}');
        return;
      }
      const ip = this.#clientAddress(req);
      if ((this.#perIp.get(ip) ?? 0) >= this.#socketsPerIp) {
        socket.end(`HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: 5\r\nConnection: close\r\n\r\n{"error":{"code":"rate_limited","message":"too many sockets from this address"}}`);
        return;
      }
      // Counted before the handshake completes, so a burst of upgrades cannot slip past the cap.
      this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
      let counted = true;
      const uncount = () => {
        if (!counted) return;
        counted = false;
        const n = (this.#perIp.get(ip) ?? 1) - 1;
        if (n > 0) this.#perIp.set(ip, n);
        else this.#perIp.delete(ip);
      };
      socket.once('close', uncount);
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        ws.once('close', uncount);
        this.#accept(ws);
      });
    });
    // A tab that vanished without a close frame would otherwise keep its transports.
    this.#heartbeat = setInterval(() => {
      for (const ws of this.#wss.clients) {
        if (!this.#alive.has(ws)) {
          ws.terminate();
          continue;
        }
        this.#alive.delete(ws);
        ws.ping();
      }
    }, HEARTBEAT_MS).unref();
  }

  /**
   * A page on another site must not drive a socket with this site's cookies. Browsers always
   * send Origin on a WebSocket; other clients (OBS tooling, tests) send none and hold a token.
   */
  #originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return true;
    if (this.#allowedOrigins.has(origin)) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  get clients(): number {
    return this.#wss.clients.size;
  }

  #accept(ws: WebSocket): void {
    this.#alive.add(ws);
    ws.on('pong', () => this.#alive.add(ws));
    this.#deps.metrics.sockets.inc();
    ws.once('close', () => this.#deps.metrics.sockets.dec());
    new Session(ws, this.#deps);
  }

  close(): void {
    clearInterval(this.#heartbeat);
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }
}
