import { randomBytes } from 'node:crypto';
import type { Database } from '../db/Database.ts';

export interface IssuedChallenge {
  message: string;
  expiresAt: Date;
}

const NONCE = /^nonce: ([0-9a-f]{32})$/m;

/**
 * One-time sign-in messages. The full text is stored and must come back byte for byte, so
 * the server never has to trust or re-derive anything the client says about it.
 */
export class ChallengeStore {
  readonly #db: Database;
  readonly #ttlMs: number;

  constructor(db: Database, ttlSeconds: number) {
    this.#db = db;
    this.#ttlMs = ttlSeconds * 1000;
  }

  /**
   * `domain` is shown to the person signing, so a page elsewhere that relays our challenges
   * has to ask them to sign a message that names this site.
   */
  async issue(opts: { accountId: string; address: string; domain: string }, now = Date.now()): Promise<IssuedChallenge> {
    const nonce = randomBytes(16).toString('hex');
    const expiresAt = new Date(now + this.#ttlMs);
    const message = [
      'Sign in to Vilokanam',
      `domain: ${opts.domain}`,
      `address: ${opts.address}`,
      `nonce: ${nonce}`,
      `issued: ${new Date(now).toISOString()}`,
      `expires: ${expiresAt.toISOString()}`,
    ].join('\n');
    await this.#db.query('DELETE FROM auth_challenges WHERE expires_at <= $1', [new Date(now)]);
    await this.#db.query('INSERT INTO auth_challenges (nonce, account_id, message, expires_at) VALUES ($1, $2, $3, $4)', [
      nonce,
      opts.accountId,
      message,
      expiresAt,
    ]);
    return { message, expiresAt };
  }

  /**
   * Uses the challenge up: true at most once per challenge, and only before it expires. A
   * single DELETE decides, so two concurrent logins with one challenge cannot both win.
   */
  async consume(accountId: string, message: string, now = Date.now()): Promise<boolean> {
    const nonce = NONCE.exec(message)?.[1];
    if (!nonce) return false;
    const rows = await this.#db.query<{ nonce: string }>(
      `DELETE FROM auth_challenges
       WHERE nonce = $1 AND account_id = $2 AND message = $3 AND expires_at > $4
       RETURNING nonce`,
      [nonce, accountId, message, new Date(now)],
    );
    return rows.length === 1;
  }
}
