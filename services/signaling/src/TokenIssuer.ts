import { SignJWT, jwtVerify, errors } from 'jose';
import { VilokanamError } from '@vilokanam/contracts/errors';
import type { Role } from '@vilokanam/contracts/signaling';

export interface MediaGrant {
  streamId: string;
  role: Role;
  /** The signed-in viewer a paid stream bills (user_accounts.id). */
  account?: string;
  /** Planck per second this viewer was shown and agreed to; fixed for their session. */
  pricePerSecond?: bigint;
}

const ISSUER = 'vilokanam';
const AUDIENCE = 'vilokanam:media';

export class TokenError extends VilokanamError<'unauthorized'> {
  readonly expired: boolean;

  constructor(message: string, expired: boolean) {
    super('unauthorized', message);
    this.expired = expired;
  }
}

/** Short-lived HS256 tokens that grant one role on one stream. */
export class TokenIssuer {
  readonly #secret: Uint8Array;
  readonly #ttlSeconds: number;

  constructor(secret: Uint8Array, ttlSeconds: number) {
    if (secret.length < 32) throw new Error('token secret must be at least 32 bytes');
    this.#secret = secret;
    this.#ttlSeconds = ttlSeconds;
  }

  async issue(grant: MediaGrant, now = Date.now()): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(now / 1000);
    const exp = iat + this.#ttlSeconds;
    const claims: Record<string, string> = { role: grant.role };
    if (grant.account) claims.acct = grant.account;
    if (grant.pricePerSecond !== undefined) claims.price = grant.pricePerSecond.toString();
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(grant.streamId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.#secret);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  async verify(token: string, now = Date.now()): Promise<MediaGrant> {
    try {
      const { payload } = await jwtVerify(token, this.#secret, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: new Date(now),
      });
      const role = payload.role;
      if (!payload.sub || (role !== 'publisher' && role !== 'viewer')) {
        throw new TokenError('token lacks a stream or role', false);
      }
      const grant: MediaGrant = { streamId: payload.sub, role };
      if (typeof payload.acct === 'string') grant.account = payload.acct;
      if (typeof payload.price === 'string' && /^(0|[1-9][0-9]{0,38})$/.test(payload.price)) grant.pricePerSecond = BigInt(payload.price);
      return grant;
    } catch (err) {
      if (err instanceof TokenError) throw err;
      if (err instanceof errors.JWTExpired) throw new TokenError('token expired', true);
      throw new TokenError('invalid token', false);
    }
  }
}
