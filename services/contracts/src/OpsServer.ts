// The operations listener a service runs beside its public one: /healthz, /readyz and
// /metrics on a port of their own (VILO_OPS_PORT), so an ingress that routes only the public
// port never exposes metrics. node:http only, so every service can use it.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OpsServerOptions {
  host: string;
  port: number;
  /** `ok: false` or a throw answers 503. */
  ready(): Promise<{ ok: boolean } & Record<string, unknown>>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Told why a readiness check threw; the caller only sees 503. */
  onError?(err: unknown): void;
}

export class OpsServer {
  readonly url: string;
  readonly #server: Server;

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  static async start(o: OpsServerOptions): Promise<OpsServer> {
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      void answer(o, path, res).catch((err: unknown) => {
        o.onError?.(err);
        if (!res.headersSent) send(res, path === '/readyz' ? 503 : 500, { ok: false });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, resolve);
    });
    const { port } = server.address() as AddressInfo;
    return new OpsServer(server, `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
  }
}

async function answer(o: OpsServerOptions, path: string, res: ServerResponse): Promise<void> {
  if (path === '/healthz') return send(res, 200, { ok: true });
  if (path === '/readyz') {
    const state = await o.ready();
    return send(res, state.ok ? 200 : 503, state);
  }
  if (path === '/metrics') {
    const { contentType, body } = await o.metrics();
    res.writeHead(200, { 'content-type': contentType });
    res.end(body);
    return;
  }
  send(res, 404, { error: { code: 'not_found', message: `no route for ${path}` } });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * The ops port: `fallback` unless set. A public port of 0 (tests, one throwaway instance)
 * makes the ops port ephemeral too, so two such instances never fight over the fallback.
 */
export function opsPort(configured: number | undefined, publicPort: number, fallback: number): number {
  if (configured !== undefined) return configured;
  return publicPort === 0 ? 0 : fallback;
}
