import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { PipeSeal } from './PipeSeal.ts';

const ISSUER = 'vilokanam';
const CONTROL_AUDIENCE = 'vilokanam:sfu-control';
const PIPE_AUDIENCE = 'vilokanam:sfu-pipe';
/** A connect token lives long enough to cross a busy network, not long enough to be worth stealing. */
export const CONTROL_TOKEN_TTL_SECONDS = 10;
export const CONTROL_TOKEN_MAX_TTL_SECONDS = 15;
/** Hosts' clocks may disagree this much. */
const CLOCK_TOLERANCE_SECONDS = 2;

/** The node a caller means to drive: its id and the control URL the caller dials. */
export interface ControlTarget {
  node: string;
  url: string;
}

/** Who a node is: its id and every control URL callers may reach it at. */
export interface ControlIdentity {
  node: string;
  urls: readonly string[];
}

/** A connect token refused for a reason worth telling the caller (and the node's log). */
export class ControlTokenRefused extends Error {}

/**
 * Who may drive an sfu-node: callers holding the control secret (signaling, the operator)
 * present a token naming one node and the URL they dial it at, good for seconds and once;
 * every pipe connect also carries a grant binding that pipe to the one peer address it may
 * exchange media with. The same secret seals pipes' SRTP keys on the channel (`seal`).
 */
export class ControlAuth {
  readonly #secret: Uint8Array;
  readonly seal: PipeSeal;
  /** Token ids already used, until they expire: a captured token cannot be replayed. */
  readonly #used = new Map<string, number>();

  constructor(secret: string | Uint8Array) {
    const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    if (bytes.length < 32) throw new Error('sfu control secret must be at least 32 bytes');
    this.#secret = bytes;
    this.seal = new PipeSeal(bytes);
  }

  connectToken(caller: string, target: ControlTarget, ttlSeconds = CONTROL_TOKEN_TTL_SECONDS): Promise<string> {
    if (!(ttlSeconds > 0 && ttlSeconds <= CONTROL_TOKEN_MAX_TTL_SECONDS)) {
      throw new Error(`control token ttl must be 1..${CONTROL_TOKEN_MAX_TTL_SECONDS} s`);
    }
    const claims = { node: target.node, url: canonicalControlUrl(target.url) };
    return this.#sign(claims, caller, CONTROL_AUDIENCE, ttlSeconds, { jti: randomUUID() });
  }

  /** The caller's name, if the token is ours, unexpired, unused, and for this node at one of its URLs. */
  async verifyConnect(token: string, self: ControlIdentity): Promise<string> {
    const { payload } = await jwtVerify(token, this.#secret, {
      issuer: ISSUER,
      audience: CONTROL_AUDIENCE,
      algorithms: ['HS256'],
      requiredClaims: ['iat', 'exp', 'jti', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }).catch((err: Error) => {
      throw new ControlTokenRefused(`invalid control token (${err.message})`);
    });
    const { iat, exp, jti, sub } = payload as { iat: number; exp: number; jti: string; sub: string };
    if (exp - iat > CONTROL_TOKEN_MAX_TTL_SECONDS) throw new ControlTokenRefused('control token lives too long');
    if (iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) throw new ControlTokenRefused('control token issued in the future (are the hosts\' clocks in sync?)');
    if (payload.node !== self.node) throw new ControlTokenRefused('control token is for another node');
    const urls = self.urls.map(canonicalControlUrl);
    if (typeof payload.url !== 'string' || !urls.includes(payload.url)) throw new ControlTokenRefused('control token is for another control URL');
    this.#spend(jti, exp);
    return sub;
  }

  pipeGrant(pipeTransportId: string, peer: { ip: string; port: number }, ttlSeconds = 60): Promise<string> {
    return this.#sign({ peer: `${peer.ip}:${peer.port}` }, pipeTransportId, PIPE_AUDIENCE, ttlSeconds);
  }

  /** Throws unless the grant names this pipe and exactly this peer. */
  async verifyPipeGrant(grant: string, pipeTransportId: string, peer: { ip: string; port: number }): Promise<void> {
    const { payload } = await jwtVerify(grant, this.#secret, { issuer: ISSUER, audience: PIPE_AUDIENCE, algorithms: ['HS256'] });
    if (payload.sub !== pipeTransportId || payload.peer !== `${peer.ip}:${peer.port}`) {
      throw new Error('pipe grant does not match this pipe and peer');
    }
  }

  #spend(jti: string, exp: number): void {
    const now = Date.now() / 1000;
    for (const [id, until] of this.#used) if (until + CLOCK_TOLERANCE_SECONDS < now) this.#used.delete(id);
    if (this.#used.has(jti)) throw new ControlTokenRefused('control token already used');
    this.#used.set(jti, exp);
  }

  #sign(claims: Record<string, unknown>, sub: string, aud: string, ttlSeconds: number, opts: { jti?: string } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(aud)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds);
    if (opts.jti) jwt.setJti(opts.jti);
    return jwt.sign(this.#secret);
  }
}

/**
 * One spelling per control URL, whichever way a caller wrote it: `ws://H:P/` and
 * `http://h:p` name the same listener.
 */
export function canonicalControlUrl(url: string): string {
  const u = new URL(url);
  const protocol = u.protocol === 'ws:' ? 'http:' : u.protocol === 'wss:' ? 'https:' : u.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') throw new Error(`not a control URL: ${url}`);
  return `${protocol}//${u.host}`;
}
