// A WebSocket relay that records what crosses it, as someone on the path between a caller
// and an sfu-node would see it: every text frame both ways, and the Authorization header of
// every upgrade. The upstream's answer to an upgrade (101 or a refusal with its body) goes
// back to the caller unchanged. Tests point a RemoteSfu at `url` and the tap at the node.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';

export interface TappedFrame {
  /** `up`: caller → node; `down`: node → caller. */
  dir: 'up' | 'down';
  data: string;
}

export class WsTap {
  readonly frames: TappedFrame[] = [];
  /** The Authorization header of each upgrade, in order. */
  readonly authorizations: string[] = [];
  /** Where callers dial the tap (http://ip:port). */
  readonly url: string;
  /** The node's control URL: set it before anyone dials the tap. */
  upstream: string | undefined;
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #links = new Set<{ a: WebSocket; b: WebSocket }>();

  private constructor(http: Server, url: string) {
    this.#http = http;
    this.url = url;
    http.on('upgrade', (req, socket, head) => this.#relay(req, socket, head));
  }

  static async start(ip = '127.0.0.1'): Promise<WsTap> {
    const http = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => http.listen(0, ip, resolve));
    return new WsTap(http, `http://${ip}:${(http.address() as AddressInfo).port}`);
  }

  /** The text that went one way (or both), joined: what a sniffer would have read. */
  text(dir?: 'up' | 'down'): string {
    return this.frames.filter((f) => !dir || f.dir === dir).map((f) => f.data).join('\n');
  }

  /** Drops every relayed connection at once, as a network blip would. */
  dropAll(): void {
    for (const { a, b } of this.#links) {
      a.terminate();
      b.terminate();
    }
    this.#links.clear();
  }

  async close(): Promise<void> {
    this.dropAll();
    this.#wss.close();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  #relay(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const authorization = req.headers.authorization ?? '';
    this.authorizations.push(authorization);
    const upstream = new WebSocket(`${this.upstream!.replace(/^http/, 'ws')}${req.url ?? '/'}`, { headers: { authorization } });
    upstream.once('unexpected-response', (_r, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => socket.end(`HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`));
    });
    upstream.once('error', () => socket.destroy());
    upstream.once('open', () => {
      this.#wss.handleUpgrade(req, socket, head, (caller) => {
        const link = { a: caller, b: upstream };
        this.#links.add(link);
        caller.on('message', (data) => {
          this.frames.push({ dir: 'up', data: data.toString() });
          upstream.send(data.toString());
        });
        upstream.on('message', (data) => {
          this.frames.push({ dir: 'down', data: data.toString() });
          if (caller.readyState === caller.OPEN) caller.send(data.toString());
        });
        const end = () => {
          this.#links.delete(link);
          caller.terminate();
          upstream.terminate();
        };
        caller.once('close', end);
        upstream.once('close', end);
        caller.on('error', () => undefined);
        upstream.on('error', () => undefined);
      });
    });
  }
}
