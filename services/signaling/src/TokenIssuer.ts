import { VilokanamError } from '@vilokanam/contracts/errors';
import type { Role } from '@vilokanam/contracts/signaling';
import { Hs256 } from './auth/Hs256.ts';

export interface MediaGrant {
  streamId: string;
  role: Role;
  /** The signed-in viewer a paid stream bills (user_accounts.id). */
  account?: string;
  /** Planck per second this viewer was shown and agreed to; fixed for their session. */
  pricePerSecond?: bigint;
}

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
  readonly #jwt: Hs256;
  readonly #ttlSeconds: number;

  constructor(secret: Uint8Array, ttlSeconds: number) {
    this.#jwt = new Hs256(secret, AUDIENCE, 'token');
    this.#ttlSeconds = ttlSeconds;
  }

  async issue(grant: MediaGrant, now = Date.now()): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(now / 1000);
    const exp = iat + this.#ttlSeconds;
    const claims: Record<string, string> = { role: grant.role };
    if (grant.account) claims.acct = grant.account;
    if (grant.pricePerSecond !== undefined) claims.price = grant.pricePerSecond.toString();
    const token = await this.#jwt.sign(claims, grant.streamId, iat, exp);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  async verify(token: string, now = Date.now()): Promise<MediaGrant> {
    const payload = await this.#jwt.verify(token, now).catch((err: Error) => {
      throw err.message === 'expired' ? new TokenError('token expired', true) : new TokenError('invalid token', false);
    });
    const role = payload.role;
    if (!payload.sub || (role !== 'publisher' && role !== 'viewer')) throw new TokenError('token lacks a stream or role', false);
    const grant: MediaGrant = { streamId: payload.sub, role };
    if (typeof payload.acct === 'string') grant.account = payload.acct;
    if (typeof payload.price === 'string' && /^(0|[1-9][0-9]{0,38})$/.test(payload.price)) grant.pricePerSecond = BigInt(payload.price);
    return grant;
  }
}
