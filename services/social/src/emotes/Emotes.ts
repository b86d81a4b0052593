import type { Logger } from 'pino';
import type { Emote } from '@vilokanam/contracts/chat';
import { HttpError } from '@vilokanam/contracts/http';
import type { Database } from '@vilokanam/settlement/db';
import type { ImageIngest } from '../media/ImageIngest.ts';
import { imageUrl } from '../media/images.ts';
import { PLATFORM_EMOTES } from './platformEmotes.ts';

/** Emotes one channel may have; checked under a lock, so racing uploads cannot pass it together. */
export const MAX_EMOTES_PER_CHANNEL = 50;
/** Codes that start with this belong to the platform set, now or later; no channel may take one. */
export const PLATFORM_PREFIX = 'vilo';

const UNIQUE_VIOLATION = '23505';

export interface EmotesOptions {
  maxPerChannel?: number;
  log?: Logger;
}

/**
 * The platform's emotes and each channel's own. A channel is a creator's account id; every
 * room of that creator offers the platform set plus the channel's.
 */
export class Emotes {
  readonly #db: Database;
  readonly #ingest: ImageIngest;
  readonly #max: number;
  readonly #log: Logger | undefined;

  constructor(db: Database, ingest: ImageIngest, opts: EmotesOptions = {}) {
    this.#db = db;
    this.#ingest = ingest;
    this.#max = opts.maxPerChannel ?? MAX_EMOTES_PER_CHANNEL;
    this.#log = opts.log;
  }

  /**
   * Renders and stores the platform set. Safe to run on every start and on several replicas
   * at once: an existing code keeps its row and only takes the new image if the art changed.
   */
  async seedPlatform(): Promise<void> {
    for (const { code, svg } of PLATFORM_EMOTES) {
      const key = await this.#ingest.ingestTrustedSvg(svg, 'emote');
      await this.#db.query('INSERT INTO emotes (channel, code, image) VALUES (NULL, $1, $2) ON CONFLICT DO NOTHING', [code, key]);
      await this.#db.query('UPDATE emotes SET image = $2 WHERE channel IS NULL AND code = $1 AND image <> $2', [code, key]);
    }
    this.#log?.info({ emotes: PLATFORM_EMOTES.length }, 'platform emotes ready');
  }

  /** The platform set followed by the channel's own, as chat offers them; null for the platform set alone. */
  async forChannel(channel: string | null): Promise<Emote[]> {
    const rows = await this.#db.query<{ channel: string | null; code: string; image: string }>(
      `SELECT channel, code, image FROM emotes
        WHERE channel IS NULL OR channel = $1::text
        ORDER BY channel NULLS FIRST, lower(code)`,
      [channel],
    );
    return rows.map((r) => ({ code: r.code, url: imageUrl(r.image), channel: r.channel }));
  }

  /** Adds an uploaded emote to a channel; `code` must already satisfy EmoteCode. */
  async add(channel: string, code: string, upload: Buffer): Promise<Emote> {
    if (code.toLowerCase().startsWith(PLATFORM_PREFIX)) {
      throw new HttpError(400, 'bad_request', `emote codes starting with "${PLATFORM_PREFIX}" are the platform's`);
    }
    // The same checks the insert makes, first without decoding anything: most refusals are cheap.
    await this.#checkRoom(this.#db, channel, code);
    const key = await this.#ingest.ingest(upload, 'emote');
    try {
      await this.#db.transaction(async (tx) => {
        const owner = await tx.query('SELECT id FROM user_accounts WHERE id = $1 FOR UPDATE', [channel]);
        if (owner.length === 0) throw new HttpError(404, 'not_found', 'no such account');
        await this.#checkRoom(tx, channel, code);
        await tx.query('INSERT INTO emotes (channel, code, image) VALUES ($1, $2, $3)', [channel, code, key]);
      });
    } catch (err) {
      if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) throw taken(code);
      throw err;
    }
    return { code, url: imageUrl(key), channel };
  }

  /** Removes a channel's emote; false if it had none by that code. */
  async remove(channel: string, code: string): Promise<boolean> {
    const rows = await this.#db.query('DELETE FROM emotes WHERE channel = $1 AND lower(code) = lower($2) RETURNING id', [channel, code]);
    return rows.length > 0;
  }

  async #checkRoom(db: Pick<Database, 'query'>, channel: string, code: string): Promise<void> {
    const [row] = await db.query<{ emotes: number; same: number }>(
      `SELECT count(*)::int AS emotes, count(*) FILTER (WHERE lower(code) = lower($2))::int AS same
         FROM emotes WHERE channel = $1`,
      [channel, code],
    );
    if ((row?.same ?? 0) > 0) throw taken(code);
    if ((row?.emotes ?? 0) >= this.#max) throw new HttpError(409, 'conflict', `a channel may have at most ${this.#max} emotes; delete one first`);
  }
}

function taken(code: string): HttpError {
  return new HttpError(409, 'conflict', `this channel already has an emote called ${code}`);
}
