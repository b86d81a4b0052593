import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from '@vilokanam/contracts/backoff';
import type { LiveWebhookBody } from '@vilokanam/contracts/social';
import type { Database } from '@vilokanam/settlement/db';
import { displayNameFor } from '../profiles/profileSummaries.ts';
import type { SocialMetrics } from '../SocialMetrics.ts';
import { postWebhook, type WebhookResult } from './postWebhook.ts';

export interface WebhookDispatcherOptions {
  db: Database;
  metrics: SocialMetrics;
  log: Logger;
  /** The site's public origin (https://example.org): a delivery links to the stream's watch page. */
  publicUrl: string;
  /** Must match Webhooks' option: lets deliveries reach loopback and private addresses. */
  allowPrivateTargets?: boolean;
  /** How often an idle dispatcher looks for due deliveries, in ms. */
  pollMs?: number;
  /** Deliveries one replica claims and sends at once. */
  batch?: number;
  /** A request's whole budget, connect to response headers, in ms. */
  timeoutMs?: number;
  /** Attempts before a delivery is given up. */
  maxAttempts?: number;
  /** Delay before each retry, by the shared policy; attempt 0 is the first retry. */
  backoff?: BackoffOptions;
  /** Days a finished delivery is kept, for its uniqueness and for support questions. */
  retentionDays?: number;
}

/** Retries start at 10 s and double to half an hour: 8 attempts span about 21 minutes. */
export const WEBHOOK_BACKOFF: BackoffOptions = { initialMs: 10_000, maxMs: 30 * 60_000, jitter: 0.2 };
const SWEEP_EVERY_MS = 3600_000;

interface ClaimedRow {
  id: string;
  attempts: number;
  webhook_id: string;
  url: string;
  secret: string;
  stream_id: string;
  title: string;
  category: string;
  creator_id: string;
  address: string;
  display_name: string | null;
  handle: string | null;
}

type Outcome = 'delivered' | 'retry' | 'failed' | 'blocked';

/**
 * Sends go-live webhooks from a queue in the database, so a delivery survives a restart and
 * any number of replicas can share the work: each claims due rows with FOR UPDATE SKIP
 * LOCKED and leases them for longer than a request may take, so a row is sent by one replica
 * at a time, and retried by any replica if the one sending it dies.
 */
export class WebhookDispatcher {
  readonly #o: Required<Omit<WebhookDispatcherOptions, 'backoff'>> & { backoff: BackoffOptions };
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> = Promise.resolve();
  #ticking = false;
  #again = false;
  #lastSweep = 0;

  constructor(opts: WebhookDispatcherOptions) {
    this.#o = {
      db: opts.db,
      metrics: opts.metrics,
      log: opts.log,
      publicUrl: opts.publicUrl.replace(/\/+$/, ''),
      allowPrivateTargets: opts.allowPrivateTargets ?? false,
      pollMs: opts.pollMs ?? 2_000,
      batch: opts.batch ?? 10,
      timeoutMs: opts.timeoutMs ?? 5_000,
      maxAttempts: opts.maxAttempts ?? 8,
      retentionDays: opts.retentionDays ?? 30,
      backoff: opts.backoff ?? WEBHOOK_BACKOFF,
    };
  }

  /**
   * Queues one delivery per webhook of the stream's creator and wakes the loop. Call it once
   * the stream is marked live; repeating it for the same stream queues nothing more.
   * Returns how many deliveries were queued.
   */
  async enqueueLive(streamId: string): Promise<number> {
    const rows = await this.#o.db.query(
      `INSERT INTO webhook_deliveries (id, webhook, stream)
       SELECT gen_random_uuid(), w.id, s.id
         FROM streams s JOIN webhooks w ON w.creator = s.creator_id
        WHERE s.id = $1 AND s.status = 'live'
       ON CONFLICT (webhook, stream) DO NOTHING
       RETURNING id`,
      [streamId],
    );
    if (rows.length > 0) this.#wake();
    return rows.length;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops claiming; resolves once the deliveries in flight are recorded. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#current;
  }

  /** Claims the due deliveries (up to one batch), sends them and records each outcome; returns how many. */
  async runOnce(): Promise<number> {
    const claimed = await this.#claim();
    // Settle every delivery before reporting a failure, so stop() never leaves one mid-write.
    const settled = await Promise.allSettled(claimed.map((row) => this.#deliver(row)));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return claimed.length;
  }

  /** Deletes finished deliveries older than the retention; returns how many. */
  async sweep(): Promise<number> {
    const rows = await this.#o.db.query(
      `DELETE FROM webhook_deliveries WHERE state <> 'pending' AND finished_at < now() - $1::float8 * interval '1 day' RETURNING 1`,
      [this.#o.retentionDays],
    );
    return rows.length;
  }

  #wake(): void {
    if (!this.#running) return;
    if (this.#ticking) this.#again = true;
    else this.#schedule(0);
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#current = this.#tick();
    }, ms);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    this.#ticking = true;
    this.#again = false;
    let delay = this.#o.pollMs;
    try {
      // A full batch means more may be due: go again at once rather than after a poll.
      if ((await this.runOnce()) >= this.#o.batch) delay = 0;
      if (Date.now() - this.#lastSweep > SWEEP_EVERY_MS) {
        this.#lastSweep = Date.now();
        await this.sweep();
      }
    } catch (err) {
      this.#o.log.warn({ err }, 'webhook dispatch failed; retrying after the poll interval');
    } finally {
      this.#ticking = false;
    }
    if (this.#again) delay = 0;
    if (this.#running) this.#schedule(delay);
  }

  async #claim(): Promise<ClaimedRow[]> {
    // The lease outlasts the request's timeout, so no other replica takes the row meanwhile.
    const leaseMs = this.#o.timeoutMs + 30_000;
    return this.#o.db.query<ClaimedRow>(
      `WITH claimed AS (
         UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = now() + $2::float8 * interval '1 millisecond'
          WHERE id IN (SELECT id FROM webhook_deliveries
                        WHERE state = 'pending' AND next_attempt_at <= now()
                        ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING id, webhook, stream, attempts)
       SELECT c.id, c.attempts, w.id AS webhook_id, w.url, w.secret, s.id AS stream_id, s.title, s.category,
              a.id AS creator_id, a.address, a.display_name, p.handle
         FROM claimed c
         JOIN webhooks w ON w.id = c.webhook
         JOIN streams s ON s.id = c.stream
         JOIN user_accounts a ON a.id = w.creator
         LEFT JOIN profiles p ON p.account_id = a.id`,
      [this.#o.batch, leaseMs],
    );
  }

  async #deliver(row: ClaimedRow): Promise<void> {
    const body: LiveWebhookBody = {
      event: 'stream.live',
      deliveryId: row.id,
      creator: { id: row.creator_id, handle: row.handle, displayName: displayNameFor(row.display_name, row.address) },
      stream: { id: row.stream_id, title: row.title, category: row.category, url: `${this.#o.publicUrl}/watch/${row.stream_id}` },
      sentAt: new Date().toISOString(),
    };
    const result = await postWebhook({
      url: row.url,
      secret: row.secret,
      deliveryId: row.id,
      body: JSON.stringify(body),
      timeoutMs: this.#o.timeoutMs,
      allowPrivateTargets: this.#o.allowPrivateTargets,
    });
    const outcome = this.#outcome(result, row.attempts);
    await this.#record(row, result.status, outcome);
    this.#o.metrics.webhookDeliveries.inc({ outcome });
    // The URL's path may itself be a credential (chat servers put tokens there): log the host only.
    const fields = { delivery: row.id, webhook: row.webhook_id, host: hostOf(row.url), status: result.status, attempt: row.attempts };
    if (outcome === 'delivered' || outcome === 'retry') this.#o.log.debug(fields, `webhook ${outcome}`);
    else this.#o.log.warn(fields, 'webhook delivery given up');
  }

  #outcome(result: WebhookResult, attempts: number): Outcome {
    if (result.ok) return 'delivered';
    if (result.blocked) return 'blocked';
    return attempts >= this.#o.maxAttempts ? 'failed' : 'retry';
  }

  async #record(row: ClaimedRow, status: string, outcome: Outcome): Promise<void> {
    const state = outcome === 'delivered' ? 'delivered' : outcome === 'retry' ? 'pending' : 'failed';
    const retryInMs = outcome === 'retry' ? backoffDelay(row.attempts - 1, this.#o.backoff) : 0;
    // attempts = the claimed value: a row whose lease lapsed and was claimed again is not ours to write.
    await this.#o.db.query(
      `WITH d AS (
         UPDATE webhook_deliveries
            SET state = $3, last_status = $4, next_attempt_at = now() + $5::float8 * interval '1 millisecond',
                finished_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END
          WHERE id = $1 AND attempts = $2 AND state = 'pending'
          RETURNING webhook)
       UPDATE webhooks SET last_status = $4 WHERE id IN (SELECT webhook FROM d)`,
      [row.id, row.attempts, state, status.slice(0, 64), retryInMs],
    );
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
}
