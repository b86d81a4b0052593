// A Koa app with the same middleware order as http/app.ts, some API routes, and sign-in, on a
// free port: for the route tests that need signed-in accounts against a real database.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import type { KeyringPair } from '@polkadot/keyring/types';
import Koa from 'koa';
import pino from 'pino';
import { AuthClient } from '@vilokanam/testkit/clients';
import { createAuth } from '../auth/Auth.ts';
import { authRoutes } from '../auth/authRouter.ts';
import { sessionMiddleware } from '../auth/middleware.ts';
import type { Database } from '../db/Database.ts';
import { errorMiddleware } from '../http/errors.ts';

export const quietLog = pino({ level: 'silent' });

export interface ApiServer {
  url: string;
  /** Signs `pair` in and returns its cookie. */
  signIn(pair: KeyringPair): Promise<string>;
  /** A JSON (or text) request; `cookie` from signIn, or none. */
  call<T = any>(cookie: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: T; text: string; headers: Headers }>;
  close(): void;
}

export async function startApiServer(db: Database, routes: Koa.Middleware[], secret: Uint8Array): Promise<ApiServer> {
  const auth = createAuth(db, { sessionSecret: secret, sessionTtlSeconds: 3600, challengeTtlSeconds: 300, ss58Prefix: 42 });
  const app = new Koa();
  app.use(errorMiddleware(quietLog));
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '32kb' }));
  app.use(sessionMiddleware(auth));
  for (const r of routes) app.use(r);
  app.use(authRoutes(auth));
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async signIn(pair) {
      const client = new AuthClient(url);
      const r = await client.signIn(pair);
      if (r.status !== 200 || !client.cookie) throw new Error(`sign-in failed: ${r.status}`);
      return client.cookie;
    },
    async call(cookie, method, path, body) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (cookie) headers.cookie = cookie;
      const res = await fetch(`${url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // CSV and other text bodies stay text.
      }
      return { status: res.status, body: parsed as never, text, headers: res.headers };
    },
    close: () => server.close(),
  };
}
