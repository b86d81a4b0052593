// A Koa app shaped like the host's (error middleware, JSON body parser, session cookies) around
// some social routes, on a free port: for route tests against a real database and real HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import pino from 'pino';
import { errorMiddleware } from '@vilokanam/contracts/http';
import type { Queryable } from '@vilokanam/settlement/db';
import { SessionVerifier } from '../auth/SessionVerifier.ts';
import { memberMiddleware } from '../http/member.ts';
import { TEST_SESSION_SECRET } from './fixtures.ts';

export interface RouteServer {
  url: string;
  /** A request under /api/v1; JSON bodies are sent as JSON, Buffers raw with `type`. */
  call<T = any>(cookie: string | null, method: string, path: string, body?: unknown, type?: string): Promise<{ status: number; body: T; bytes: Buffer; headers: Headers }>;
  close(): Promise<void>;
}

export async function startRouteServer(db: Queryable, routes: Koa.Middleware[]): Promise<RouteServer> {
  const app = new Koa();
  app.use(errorMiddleware(pino({ level: 'silent' })));
  // As the host: JSON and text bodies are parsed, anything else is left for the route to read.
  app.use(bodyParser({ enableTypes: ['json', 'text'], jsonLimit: '32kb', textLimit: '64kb' }));
  app.use(memberMiddleware(new SessionVerifier(db, TEST_SESSION_SECRET).resolve));
  for (const r of routes) app.use(r);
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async call(cookie, method, path, body, type) {
      const headers: Record<string, string> = {};
      if (cookie) headers.cookie = cookie;
      let payload: BodyInit | undefined;
      if (Buffer.isBuffer(body)) {
        headers['content-type'] = type ?? 'application/octet-stream';
        payload = new Uint8Array(body);
      } else if (body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body);
      }
      const res = await fetch(`${url}/api/v1${path}`, { method, headers, body: payload });
      const bytes = Buffer.from(await res.arrayBuffer());
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {
        parsed = undefined;
      }
      return { status: res.status, body: parsed as never, bytes, headers: res.headers };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
