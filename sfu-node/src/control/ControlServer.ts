import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { ControlEvents, ControlMethods, ControlRequest, isControlMethod, type ControlMethod, type ControlReply } from '@vilokanam/contracts/control';
import { zodMessage } from '@vilokanam/contracts/errors';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { registerSfuMetrics } from '../metrics.ts';
import { SfuError, type SfuControlEvents } from '../SfuControl.ts';
import type { SfuNode } from '../SfuNode.ts';
import { canonicalControlUrl, ControlTokenRefused, type ControlAuth, type ControlIdentity } from './ControlAuth.ts';
import { PipeSealRefused } from './PipeSeal.ts';

const EVENTS = Object.keys(ControlEvents) as (keyof typeof ControlEvents & keyof SfuControlEvents)[];

export interface ControlServerOptions {
  /** This node's id: connect tokens must name it. */
  nodeId: string;
  /** Control URLs callers may reach this node at besides the one it listens on (a proxy, a DNS name). */
  urls?: readonly string[];
  /** When set, /metrics answers only `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
}

/**
 * The sfu-node's network face: an authenticated WebSocket carrying SfuControl calls and
 * events, plus /healthz (open), /load (a connect token) and /metrics (the metrics token,
 * when one is set) over HTTP. Pipe SRTP parameters cross the channel sealed.
 */
export class ControlServer {
  readonly #node: SfuNode;
  readonly #auth: ControlAuth;
  readonly #log: Logger;
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  readonly #registry = new Registry();
  readonly #untrusted: UntrustedInput;
  readonly #opts: ControlServerOptions;
  readonly #metricsToken: Buffer | undefined;
  /** Known once listening: until then every token is refused. */
  #identity: ControlIdentity | undefined;

  constructor(node: SfuNode, auth: ControlAuth, log: Logger, opts: ControlServerOptions) {
    this.#node = node;
    this.#auth = auth;
    this.#log = log;
    this.#opts = { ...opts, urls: (opts.urls ?? []).map(canonicalControlUrl) };
    this.#metricsToken = opts.metricsToken ? digest(opts.metricsToken) : undefined;
    registerSfuMetrics(node, this.#registry);
    const malformed = new Counter({
      name: 'vilo_sfu_malformed_messages_total',
      help: 'Control frames refused as malformed, by source',
      labelNames: ['source'],
      registers: [this.#registry],
    });
    this.#untrusted = new UntrustedInput({ count: (source) => malformed.inc({ source }), warn: (obj, msg) => log.warn(obj, msg) });
    this.#http = createServer((req, res) => void this.#onHttp(req, res));
    this.#http.on('upgrade', (req, socket, head) => {
      void (async () => {
        let caller: string;
        try {
          if (new URL(req.url ?? '/', 'http://x').pathname !== '/control') throw new ControlTokenRefused('no such path');
          caller = await this.#caller(req);
        } catch (err) {
          const body = JSON.stringify({ error: { code: 'unauthorized', message: refusal(err) } });
          socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
          return;
        }
        this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, caller));
      })();
    });
  }

  /** Listens, and returns the control URL callers dial (the one load reports advertise). */
  async listen(port: number, host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, resolve);
    });
    const { port: bound } = this.#http.address() as AddressInfo;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
    this.#identity = { node: this.#opts.nodeId, urls: [canonicalControlUrl(url), ...this.#opts.urls!] };
    return url;
  }

  async close(): Promise<void> {
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  #accept(ws: WebSocket, caller: string): void {
    const log = this.#log.child({ caller });
    log.info('control channel open');
    const forwarders = EVENTS.map((event) => {
      const fn = (data: unknown) => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ event, data }));
      this.#node.on(event, fn);
      return () => this.#node.off(event, fn);
    });
    // The WebRTC transports this caller opened. Its sessions die with it: a signaling replica
    // that is killed never closes them, and a viewer transport left open keeps being metered
    // (and billed) until ICE consent times out, though nobody may be watching. The caller
    // counts the node as lost when the channel drops, so it would not use them again anyway.
    const owned = new Set<string>();
    ws.on('message', (raw) => void this.#onMessage(ws, raw.toString(), log, owned));
    ws.on('close', () => {
      forwarders.forEach((off) => off());
      for (const transportId of owned) this.#node.closeTransport(transportId);
      log.info({ transportsClosed: owned.size }, 'control channel closed');
    });
  }

  async #onMessage(ws: WebSocket, raw: string, log: Logger, owned: Set<string>): Promise<void> {
    const request = this.#untrusted.parseJson('control', ControlRequest, raw);
    let reply: ControlReply;
    if (!request) {
      reply = { id: null, ok: false, error: { code: 'bad_request', message: 'malformed control frame' } };
    } else if (!isControlMethod(request.method)) {
      this.#untrusted.reject('control', 'unknown method');
      reply = { id: request.id, ok: false, error: { code: 'bad_request', message: 'unknown method' } };
    } else {
      try {
        const args = ControlMethods[request.method].parse(request.params) as unknown[];
        const data = await this.#call(request.method, args);
        if (request.method === 'createTransport') this.#own(ws, owned, (data as { id: string }).id);
        if (request.method === 'closeTransport') owned.delete(args[0] as string);
        reply = { id: request.id, ok: true, data: data ?? null };
      } catch (err) {
        reply = { id: request.id, ok: false, error: this.#toError(err, log) };
      }
    }
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
  }

  #own(ws: WebSocket, owned: Set<string>, transportId: string): void {
    // Opened as the channel closed: nobody will ever use or close it.
    if (ws.readyState !== ws.OPEN) return this.#node.closeTransport(transportId);
    owned.add(transportId);
    this.#node.transportClosed(transportId).then(() => owned.delete(transportId), () => undefined);
  }

  async #call(method: ControlMethod, args: unknown[]): Promise<unknown> {
    if (method === 'createPipeTransport') {
      const pipe = await this.#node.createPipeTransport(args[0] as string);
      return { ...pipe, srtpParameters: this.#auth.seal.seal('local', pipe.id, pipe.srtpParameters) };
    }
    if (method === 'connectPipeTransport') {
      const [pipeId, remote, grant] = args as [string, { ip: string; port: number; srtpParameters: string }, string];
      // A node only sends media to a peer that signaling or the operator named for this pipe.
      await this.#auth.verifyPipeGrant(grant, pipeId, remote).catch(() => {
        throw new SfuError('forbidden', 'pipe grant refused');
      });
      let srtpParameters: unknown;
      try {
        srtpParameters = this.#auth.seal.open('remote', pipeId, remote.srtpParameters);
      } catch (err) {
        throw new SfuError('forbidden', err instanceof PipeSealRefused ? err.message : 'sealed SRTP parameters refused');
      }
      return this.#node.connectPipeTransport(pipeId, { ip: remote.ip, port: remote.port, srtpParameters });
    }
    const fn = this.#node[method] as (...a: unknown[]) => unknown;
    return fn.apply(this.#node, args);
  }

  /** The caller a request's connect token names; throws ControlTokenRefused. */
  async #caller(req: IncomingMessage): Promise<string> {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) throw new ControlTokenRefused('a control token is required');
    if (!this.#identity) throw new ControlTokenRefused('not listening yet');
    try {
      return await this.#auth.verifyConnect(token, this.#identity);
    } catch (err) {
      // A well-signed token for another node or URL means a secret holder was misled (or is lying).
      const signed = err instanceof ControlTokenRefused && !err.message.startsWith('invalid');
      this.#log[signed ? 'warn' : 'debug']({ reason: refusal(err), from: req.socket.remoteAddress }, 'control token refused');
      throw err;
    }
  }

  #toError(err: unknown, log: Logger): Extract<ControlReply, { ok: false }>['error'] {
    if (err instanceof SfuError) return { code: err.code, message: err.message };
    if (err instanceof z.ZodError) return { code: 'bad_request', message: zodMessage(err, { root: 'params' }) };
    log.error({ err }, 'control call failed');
    return { code: 'internal', message: err instanceof Error ? err.message : 'internal error' };
  }

  async #onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    try {
      if (path === '/healthz') return json(res, 200, { ok: this.#node.pool.slots.length > 0 });
      if (path === '/load') {
        try {
          await this.#caller(req);
        } catch (err) {
          return unauthorized(res, refusal(err));
        }
        return json(res, 200, await this.#node.load());
      }
      if (path === '/metrics') {
        if (!this.#metricsAllowed(req)) return unauthorized(res, 'a metrics token is required');
        res.writeHead(200, { 'content-type': this.#registry.contentType });
        res.end(await this.#registry.metrics());
        return;
      }
      json(res, 404, { error: { code: 'not_found', message: `no route for ${path}` } });
    } catch (err) {
      this.#log.error({ err }, 'http failed');
      json(res, 500, { error: { code: 'internal', message: 'internal error' } });
    }
  }

  #metricsAllowed(req: IncomingMessage): boolean {
    if (!this.#metricsToken) return true;
    const presented = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    // Digests first: equal lengths for timingSafeEqual, and no length leaks.
    return presented !== undefined && timingSafeEqual(digest(presented), this.#metricsToken);
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** What a refused caller is told: the reason for a token, nothing of an unexpected failure. */
function refusal(err: unknown): string {
  return err instanceof ControlTokenRefused ? err.message : 'control token refused';
}

function unauthorized(res: ServerResponse, message: string): void {
  res.setHeader('www-authenticate', 'Bearer');
  json(res, 401, { error: { code: 'unauthorized', message } });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
