import { randomBytes, randomUUID } from 'node:crypto';
import type { Webhook } from '@vilokanam/contracts/social';
import type { Database } from '@vilokanam/settlement/db';
import { refuseTarget } from './targets.ts';

/** Webhooks one creator may register. */
export const DEFAULT_MAX_WEBHOOKS = 5;

export interface WebhooksOptions {
  maxPerCreator?: number;
  /**
   * Lets webhooks point at loopback, private and link-local addresses. Off in production
   * (SSRF); tests and a self-hosted chat server on the same network turn it on.
   */
  allowPrivateTargets?: boolean;
}

export type WebhookCreated = { ok: true; webhook: Webhook } | { ok: false; reason: 'full' | 'target'; message: string };

interface WebhookRow {
  id: string;
  url: string;
  last_status: string | null;
  created_at: Date | string;
}

/** A creator's outgoing go-live webhooks: registering, listing and removing them. */
export class Webhooks {
  readonly #db: Database;
  readonly #max: number;
  readonly #allowPrivate: boolean;

  constructor(db: Database, opts: WebhooksOptions = {}) {
    this.#db = db;
    this.#max = opts.maxPerCreator ?? DEFAULT_MAX_WEBHOOKS;
    this.#allowPrivate = opts.allowPrivateTargets ?? false;
  }

  get maxPerCreator(): number {
    return this.#max;
  }

  async list(creator: string): Promise<Webhook[]> {
    const rows = await this.#db.query<WebhookRow>('SELECT id, url, last_status, created_at FROM webhooks WHERE creator = $1 ORDER BY created_at, id', [creator]);
    return rows.map(toWebhook);
  }

  /** Registers a webhook; the returned one carries its secret, which is never shown again. */
  async create(creator: string, url: string): Promise<WebhookCreated> {
    const refused = refuseTarget(url, this.#allowPrivate);
    if (refused) return { ok: false, reason: 'target', message: refused };
    // 32 random bytes as hex: the HMAC key is this string, so receivers use it exactly as shown.
    const secret = randomBytes(32).toString('hex');
    return this.#db.transaction(async (tx) => {
      // Counting under the creator's row lock keeps the bound under concurrent requests.
      await tx.query('SELECT 1 FROM user_accounts WHERE id = $1 FOR NO KEY UPDATE', [creator]);
      const [count] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM webhooks WHERE creator = $1', [creator]);
      if ((count?.n ?? 0) >= this.#max) return { ok: false, reason: 'full', message: `at most ${this.#max} webhooks: delete one first` } as const;
      const [row] = await tx.query<WebhookRow>(
        'INSERT INTO webhooks (id, creator, url, secret) VALUES ($1, $2, $3, $4) RETURNING id, url, last_status, created_at',
        [randomUUID(), creator, url, secret],
      );
      return { ok: true, webhook: { ...toWebhook(row!), secret } } as const;
    });
  }

  /** True if the creator had a webhook with that id; its pending deliveries go with it. */
  async remove(creator: string, id: string): Promise<boolean> {
    const rows = await this.#db.query('DELETE FROM webhooks WHERE id = $1 AND creator = $2 RETURNING 1', [id, creator]);
    return rows.length > 0;
  }
}

function toWebhook(r: WebhookRow): Webhook {
  return { id: r.id, url: r.url, createdAt: new Date(r.created_at).toISOString(), lastStatus: r.last_status };
}
