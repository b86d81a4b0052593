import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';

const ISSUER = 'vilokanam';

/**
 * HS256 tokens for one audience, issued and checked by this service alone. Each kind of token
 * has its own audience, so a token of one kind can never pass for another.
 */
export class Hs256 {
  readonly #secret: Uint8Array;
  readonly #audience: string;

  constructor(secret: Uint8Array, audience: string, what: string) {
    if (secret.length < 32) throw new Error(`${what} secret must be at least 32 bytes`);
    this.#secret = secret;
    this.#audience = audience;
  }

  sign(claims: Record<string, string>, subject: string, iat: number, exp: number, jti?: string): Promise<string> {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setIssuer(ISSUER).setAudience(this.#audience).setIssuedAt(iat).setExpirationTime(exp);
    return (jti ? jwt.setJti(jti) : jwt).sign(this.#secret);
  }

  /** The payload of a genuine, unexpired token; throws `expired` or `invalid`. */
  async verify(token: string, now: number): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, this.#secret, { issuer: ISSUER, audience: this.#audience, algorithms: ['HS256'], currentDate: new Date(now) });
      return payload;
    } catch (err) {
      throw new Error(err instanceof errors.JWTExpired ? 'expired' : 'invalid');
    }
  }
}
