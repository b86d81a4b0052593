import { SignJWT, jwtVerify, errors } from 'jose';
import type { Role } from './protocol.ts';

export interface MediaGrant {
  streamId: string;
  role: Role;
}

const ISSUER = 'vilokanam';
const AUDIENCE = 'vilokanam:media';

export class TokenError extends Error {
  readonly expired: boolean;

  constructor(message: string, expired: boolean) {
    super(message);
    this.name = 'TokenError';
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
    const token = await new SignJWT({ role: grant.role })
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
      return { streamId: payload.sub, role };
    } catch (err) {
      if (err instanceof TokenError) throw err;
      if (err instanceof errors.JWTExpired) throw new TokenError('token expired', true);
      throw new TokenError('invalid token', false);
    }
  }
}
