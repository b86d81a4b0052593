// Wallet sign-in over real HTTP, on each real database engine, with real sr25519, ed25519
// and ecdsa signatures from @polkadot/keyring. The clock is injected so expiry is testable.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import type { KeyringPair } from '@polkadot/keyring/types';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress, encodeAddress } from '@polkadot/util-crypto';
import Koa from 'koa';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/Database.ts';
import { errorMiddleware } from '../http/errors.ts';
import { engines } from '../testing/databases.ts';
import { createAuth, type Auth } from './Auth.ts';
import { authRoutes } from './authRouter.ts';
import { sessionMiddleware } from './middleware.ts';
import { AuthClient, newPair, sign } from '@vilokanam/testkit/clients';

const CHALLENGE_TTL = 300;
// The 32-byte account id; for ecdsa it is the hash of the 33-byte public key.
const accountId = (pair: KeyringPair) => u8aToHex(decodeAddress(pair.address));
const generic = (pair: KeyringPair) => encodeAddress(decodeAddress(pair.address), 42);
const SESSION_TTL = 3600;

describe.each(engines)('wallet sign-in on $name', (engine) => {
  let handle: { db: Database; drop(): Promise<void> };
  let server: Server;
  let base: string;
  let auth: Auth;
  let clock = Date.now();
  const secret = randomBytes(32);

  beforeAll(async () => {
    await cryptoWaitReady();
    handle = await engine.open();
    auth = createAuth(
      handle.db,
      { sessionSecret: secret, sessionTtlSeconds: SESSION_TTL, challengeTtlSeconds: CHALLENGE_TTL, ss58Prefix: 42 },
      { now: () => clock, limits: { burst: 6, perMinute: 6 } },
    );
    // The same middleware order as http/app.ts.
    const app = new Koa();
    app.proxy = true;
    app.use(errorMiddleware(pino({ level: 'silent' })));
    app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '32kb' }));
    app.use(sessionMiddleware(auth));
    app.use(authRoutes(auth));
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await handle?.drop();
  });

  it.each(['sr25519', 'ed25519', 'ecdsa'] as const)('signs in a %s key and sets an httpOnly, SameSite=Lax cookie', async (type) => {
    const pair = newPair(type);
    const client = new AuthClient(base);
    const c = await client.challenge(pair.address);
    expect(c.status).toBe(200);
    const lines = c.body.challenge.split('\n');
    expect(lines[0]).toBe('Sign in to Vilokanam');
    expect(lines).toContain(`address: ${pair.address}`);
    expect(c.body.challenge).toMatch(/^domain: 127\.0\.0\.1:\d+$/m);
    expect(c.body.challenge).toMatch(/^nonce: [0-9a-f]{32}$/m);
    expect(c.body.challenge).toContain(`issued: ${new Date(clock).toISOString()}`);
    expect(Date.parse(c.body.expiresAt)).toBe(clock + CHALLENGE_TTL * 1000);

    const login = await client.login({ address: pair.address, challenge: c.body.challenge, signature: sign(pair, c.body.challenge), displayName: ' Asha ' });
    expect(login.status).toBe(200);
    const id = accountId(pair);
    expect(login.body.account).toMatchObject({ id, address: pair.address, displayName: 'Asha' });
    const cookie = login.setCookies.find((l) => l.startsWith('vilo_session='))!;
    expect(cookie).toMatch(/; httponly/i);
    expect(cookie).toMatch(/; samesite=lax/i);
    expect(cookie).toMatch(/; path=\//i);
    expect(cookie).not.toMatch(/; secure/i);
    expect(Date.parse(/expires=([^;]+)/i.exec(cookie)![1]!)).toBeGreaterThan(clock + (SESSION_TTL - 5) * 1000);

    const me = await client.me();
    expect(me).toMatchObject({ status: 200, body: { account: { id, address: pair.address, displayName: 'Asha' } } });
    expect(await auth.accounts.get(id)).toMatchObject({ id, address: pair.address, displayName: 'Asha' });
  });

  it('accepts a <Bytes>-wrapped signature, and any SS58 prefix for the same key', async () => {
    const pair = newPair('sr25519', 0);
    const client = new AuthClient(base);
    const login = await client.signIn(pair, { wrapped: true, displayName: 'First' });
    expect(login.status).toBe(200);
    // The id is the key; the stored address uses the platform's prefix, not the wallet's.
    expect(login.body.account).toMatchObject({ id: accountId(pair), address: generic(pair) });
    expect(pair.address).not.toBe(login.body.account.address);

    // Signing in again keeps the account and its first name.
    const again = await new AuthClient(base).signIn(pair, { displayName: 'Second' });
    expect(again.body.account).toEqual(login.body.account);
  });

  it('refuses a wrong signature without burning the challenge, then refuses reuse', async () => {
    const pair = newPair('sr25519');
    const other = newPair('sr25519');
    const client = new AuthClient(base);
    const { challenge } = (await client.challenge(pair.address)).body;
    const denied = [
      await client.login({ address: pair.address, challenge, signature: sign(other, challenge) }),
      await client.login({ address: pair.address, challenge, signature: sign(pair, `${challenge}x`) }),
      await client.login({ address: pair.address, challenge: challenge.replace('Vilokanam', 'Vilokanan'), signature: sign(pair, challenge) }),
      // A genuine signature over a challenge the server never issued.
      await client.login({ address: pair.address, challenge: `${challenge}\n`, signature: sign(pair, `${challenge}\n`) }),
    ];
    for (const r of denied) expect(r).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(client.cookie).toBeUndefined();

    const signature = sign(pair, challenge);
    expect((await client.login({ address: pair.address, challenge, signature })).status).toBe(200);
    const replay = new AuthClient(base);
    expect(await replay.login({ address: pair.address, challenge, signature })).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(replay.cookie).toBeUndefined();
  });

  it('refuses a challenge issued for another address', async () => {
    const a = newPair('sr25519');
    const b = newPair('sr25519');
    const client = new AuthClient(base);
    const { challenge } = (await client.challenge(a.address)).body;
    expect((await client.login({ address: b.address, challenge, signature: sign(b, challenge) })).status).toBe(401);
  });

  it('refuses an expired challenge', async () => {
    const pair = newPair('sr25519');
    const client = new AuthClient(base);
    const { challenge } = (await client.challenge(pair.address)).body;
    clock += CHALLENGE_TTL * 1000 + 1;
    expect((await client.login({ address: pair.address, challenge, signature: sign(pair, challenge) })).status).toBe(401);
    // A fresh one works.
    expect((await client.signIn(pair)).status).toBe(200);
  });

  it('answers malformed input with 400 and a JSON error', async () => {
    const pair = newPair('sr25519');
    // A fresh client per case, so the per-IP budget never decides the outcome.
    const client = () => new AuthClient(base);
    const broken = pair.address.slice(0, -1) + (pair.address.endsWith('a') ? 'b' : 'a');
    const cases = [
      await client().challenge('not an address'),
      await client().challenge(broken),
      await client().challenge(u8aToHex(pair.publicKey)),
      await client().call('/auth/challenge', { body: {} }),
      await client().call('/auth/challenge', { body: '{nope' }),
      await client().login({ address: pair.address, challenge: 'x', signature: 'not hex' }),
      await client().login({ address: broken, challenge: 'x', signature: `0x${'ab'.repeat(64)}` }),
    ];
    for (const r of cases) {
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('bad_request');
      expect(r.body.error.message.length).toBeGreaterThan(3);
    }
  });

  it('answers /me with 401 without a cookie, with a tampered one, and after the session expires', async () => {
    const anonymous = new AuthClient(base);
    expect(await anonymous.me()).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });

    const pair = newPair('sr25519');
    const client = new AuthClient(base);
    await client.signIn(pair);
    const token = client.cookie!.slice('vilo_session='.length);
    const [header, payload, mac] = token.split('.') as [string, string, string];
    // Flip a middle character: the last one of a base64url HMAC holds padding bits, and
    // changing only those leaves the decoded signature, and so its validity, untouched.
    const flip = (s: string) => {
      const i = Math.floor(s.length / 2);
      return `${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
    };
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString());
    forged.sub = accountId(newPair('sr25519'));
    const tampered = [
      `${header}.${payload}.${flip(mac)}`,
      `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`,
      'garbage',
    ];
    for (const t of tampered) {
      const c = new AuthClient(base);
      c.cookie = `vilo_session=${t}`;
      const r = await c.me();
      expect(r.status).toBe(401);
      // The useless cookie is cleared so the browser stops sending it.
      expect(r.setCookies.some((l) => /^vilo_session=;.*expires=Thu, 01 Jan 1970/i.test(l))).toBe(true);
    }

    expect((await client.me()).status).toBe(200);
    clock += SESSION_TTL * 1000 + 1;
    expect((await client.me()).status).toBe(401);
  });

  it('signs out: the cookie is cleared and the old token no longer opens a session', async () => {
    const pair = newPair('ed25519');
    const client = new AuthClient(base);
    await client.signIn(pair);
    const stolen = client.cookie!;
    const out = await client.logout();
    expect(out.status).toBe(204);
    expect(out.setCookies.some((l) => /^vilo_session=;/.test(l))).toBe(true);
    expect(client.cookie).toBeUndefined();
    expect((await client.me()).status).toBe(401);
    client.cookie = stolen;
    expect((await client.me()).status).toBe(401);
    // Signing out twice, or without a session, is harmless.
    expect((await new AuthClient(base).logout()).status).toBe(204);
  });

  it('ends the previous session of a browser that signs in again', async () => {
    const client = new AuthClient(base);
    await client.signIn(newPair('sr25519'));
    const first = client.cookie!;
    const second = await client.signIn(newPair('sr25519'));
    expect(second.status).toBe(200);
    expect(client.cookie).not.toBe(first);
    expect((await client.me()).body.account.id).toBe(second.body.account.id);
    expect(await auth.accountFromCookieHeader(first)).toBeUndefined();
  });

  it('resolves a Cookie header to the account, for the WebSocket side', async () => {
    const pair = newPair('sr25519');
    const client = new AuthClient(base);
    await client.signIn(pair);
    const account = await auth.accountFromCookieHeader(`theme=dark; ${client.cookie}; other="x"`);
    expect(account).toMatchObject({ id: accountId(pair), address: pair.address });
    expect(account?.createdAt).toBeInstanceOf(Date);
    for (const header of [undefined, '', 'theme=dark', 'vilo_session=', 'vilo_session=abc.def.ghi']) {
      expect(await auth.accountFromCookieHeader(header)).toBeUndefined();
    }
    await client.logout();
    expect(await auth.accountFromCookieHeader(`vilo_session=${client.cookie ?? ''}`)).toBeUndefined();
  });

  it('rate-limits challenges and logins per client IP', async () => {
    const pair = newPair('sr25519');
    const client = new AuthClient(base);
    for (let i = 0; i < 6; i++) expect((await client.challenge(pair.address)).status).toBe(200);
    const limited = await client.challenge(pair.address);
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await client.login({ address: pair.address, challenge: 'x', signature: `0x${'00'.repeat(64)}` })).status).toBe(429);
    // Other clients are not affected, and the budget refills.
    expect((await new AuthClient(base).challenge(pair.address)).status).toBe(200);
    clock += 10_000;
    expect((await client.challenge(pair.address)).status).toBe(200);
  });

  it('marks the cookie Secure behind a TLS-terminating proxy', async () => {
    const pair = newPair('sr25519');
    const client = new AuthClient(base);
    const { challenge } = (await client.challenge(pair.address)).body;
    const r = await client.call('/auth/login', {
      body: { address: pair.address, challenge, signature: sign(pair, challenge) },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(r.status).toBe(200);
    expect(r.setCookies.find((l) => l.startsWith('vilo_session='))).toMatch(/; secure/i);
  });
});
