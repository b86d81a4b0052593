// A browser-ish HTTP client for the sign-in routes: one cookie jar, one client IP, and
// helpers that sign challenges with a real keyring pair.
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { u8aToHex, u8aWrapBytes } from '@polkadot/util';
import { mnemonicGenerate } from '@polkadot/util-crypto';

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
  /** Set-Cookie lines of this response. */
  setCookies: string[];
}

let nextIp = 1;

export function newPair(type: 'sr25519' | 'ed25519' | 'ecdsa', ss58Format = 42): KeyringPair {
  return new Keyring({ type, ss58Format }).addFromMnemonic(mnemonicGenerate());
}

/** How a wallet signs: raw bytes (keyring) or wrapped in <Bytes> (browser extensions). */
export function sign(pair: KeyringPair, message: string, wrapped = false): string {
  const bytes = new TextEncoder().encode(message);
  return u8aToHex(pair.sign(wrapped ? u8aWrapBytes(bytes) : bytes));
}

export class AuthClient {
  readonly #base: string;
  /** Sent as X-Forwarded-For; the app trusts its proxy, so each client gets its own bucket. */
  readonly ip: string;
  cookie: string | undefined;

  constructor(base: string, ip = `198.51.100.${nextIp++}`) {
    this.#base = base;
    this.ip = ip;
  }

  async call(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
    const res = await fetch(`${this.#base}/api/v1${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        'x-forwarded-for': this.ip,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=');
      if (name !== 'vilo_session') continue;
      this.cookie = value ? `vilo_session=${value}` : undefined;
    }
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers, setCookies };
  }

  challenge(address: string): Promise<Reply> {
    return this.call('/auth/challenge', { body: { address } });
  }

  login(body: { address: string; challenge: string; signature: string; displayName?: string }): Promise<Reply> {
    return this.call('/auth/login', { body });
  }

  /** The whole flow with a real signature; returns the login reply. */
  async signIn(pair: KeyringPair, opts: { wrapped?: boolean; displayName?: string } = {}): Promise<Reply> {
    const c = await this.challenge(pair.address);
    if (c.status !== 200) throw new Error(`challenge failed: ${c.status} ${JSON.stringify(c.body)}`);
    return this.login({ address: pair.address, challenge: c.body.challenge, signature: sign(pair, c.body.challenge, opts.wrapped), displayName: opts.displayName });
  }

  me(): Promise<Reply> {
    return this.call('/me');
  }

  logout(): Promise<Reply> {
    return this.call('/auth/logout', { method: 'POST' });
  }
}
