import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AddressQuota } from '@vilokanam/contracts/address-quota';
import { originAllowed, upgradeRefusal } from '@vilokanam/contracts/http';
import type { ClientAddress } from '@vilokanam/contracts/client-address';
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
  /** Open sockets per client address. */
  readonly #perIp: AddressQuota;

  constructor(server: Server, deps: SessionDeps & {
      allowedOrigins?: readonly string[];
      clientAddress: ClientAddress;
      socketsPerIp: number;
      /** Other WebSockets on this server, by path (social's chat in embedded mode). */
      upgrades?: Record<string, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
    }) {
    this.#deps = deps;
    this.#allowedOrigins = new Set(deps.allowedOrigins ?? []);
    this.#clientAddress = deps.clientAddress;
    this.#perIp = new AddressQuota(deps.socketsPerIp);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const other = deps.upgrades && Object.hasOwn(deps.upgrades, path) ? deps.upgrades[path] : undefined;
      if (other) return other(req, socket, head);
      if (path !== WS_PATH) return void socket.end(upgradeRefusal(404, 'not_found', 'no websocket at this path'));
      if (!originAllowed(req.headers.origin, req.headers.host, this.#allowedOrigins)) return void socket.end(upgradeRefusal(403, 'forbidden', 'origin not allowed'));
      // Counted before the handshake completes, so a burst of upgrades cannot slip past the cap.
      const uncount = this.#perIp.take(this.#clientAddress(req));
      if (!uncount) return void socket.end(upgradeRefusal(429, 'rate_limited', 'too many sockets from this address', 5));
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
