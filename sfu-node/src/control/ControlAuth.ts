import { SignJWT, jwtVerify } from 'jose';

const ISSUER = 'vilokanam';
const CONTROL_AUDIENCE = 'vilokanam:sfu-control';
const PIPE_AUDIENCE = 'vilokanam:sfu-pipe';

/**
 * Who may drive an sfu-node: callers holding the control secret (signaling, the operator)
 * present a short-lived token; every pipe connect also carries a grant binding that pipe
 * to the one peer address it may exchange media with.
 */
export class ControlAuth {
  readonly #secret: Uint8Array;

  constructor(secret: string | Uint8Array) {
    const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    if (bytes.length < 32) throw new Error('sfu control secret must be at least 32 bytes');
    this.#secret = bytes;
  }

  connectToken(caller: string, ttlSeconds = 60): Promise<string> {
    return this.#sign({}, caller, CONTROL_AUDIENCE, ttlSeconds);
  }

  async verifyConnect(token: string): Promise<string> {
    const { payload } = await jwtVerify(token, this.#secret, { issuer: ISSUER, audience: CONTROL_AUDIENCE, algorithms: ['HS256'] });
    if (!payload.sub) throw new Error('control token lacks a caller');
    return payload.sub;
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

  #sign(claims: Record<string, unknown>, sub: string, aud: string, ttlSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(aud)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(this.#secret);
  }
}
