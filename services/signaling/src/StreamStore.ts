import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from './db/Database.ts';
import type { StreamView } from '@vilokanam/contracts/signaling';
import { generateStreamKey, hashStreamKey, streamKeyMatches } from './streamKey.ts';

export type StreamStatus = StreamView['status'];

interface StreamRow {
  id: string;
  title: string;
  category: string;
  status: StreamStatus;
  stream_key_hash: Uint8Array;
  creator_id: string | null;
  creator_address: string | null;
  creator_handle: string | null;
  tags: string[];
  price_per_second: string;
  recording: boolean;
  created_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
}

export interface StreamRecord {
  id: string;
  title: string;
  category: string;
  status: StreamStatus;
  /** The account paid for this stream (user_accounts.id); null for a free, unowned stream. */
  creatorId: string | null;
  creatorAddress: string | null;
  /** The creator's profile handle, for /c/<handle>. */
  creatorHandle: string | null;
  tags: string[];
  /** Planck per watched second, fixed for each viewer when they join. */
  pricePerSecond: bigint;
  /** Recorded while live, to become a VOD. */
  recording: boolean;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
}

// Every read goes through RETURNING or SELECT with this list, so the creator's address is
// joined in by a scalar subquery rather than a JOIN each statement would need.
const COLUMNS = `id, title, category, status, creator_id, price_per_second::text AS price_per_second, recording,
  (SELECT address FROM user_accounts u WHERE u.id = streams.creator_id) AS creator_address,
  (SELECT handle FROM profiles p WHERE p.account_id = streams.creator_id) AS creator_handle, tags,
  created_at, started_at, ended_at`;

const NO_LEASE = 'live_lease_until = NULL, live_lease_holder = NULL';

function toRecord(r: Omit<StreamRow, 'stream_key_hash'>): StreamRecord {
  return {
    id: r.id,
    title: r.title,
    category: r.category,
    status: r.status,
    creatorId: r.creator_id,
    creatorAddress: r.creator_address,
    creatorHandle: r.creator_handle,
    tags: r.tags,
    pricePerSecond: BigInt(r.price_per_second),
    recording: r.recording,
    createdAt: new Date(r.created_at),
    startedAt: r.started_at ? new Date(r.started_at) : null,
    endedAt: r.ended_at ? new Date(r.ended_at) : null,
  };
}

/** Who renews live streams' leases from this process, and for how long each renewal holds. */
export interface LiveLease {
  /** This replica's id (HubBus.replicaId). */
  holder: string;
  seconds: number;
}

export class StreamStore {
  readonly #db: Database;
  readonly #lease: LiveLease;

  constructor(db: Database, lease: LiveLease = { holder: 'local', seconds: 20 }) {
    this.#db = db;
    this.#lease = lease;
  }

  get lease(): LiveLease {
    return this.#lease;
  }

  /**
   * Returns the stream key once; only its hash is stored. With `maxOpen`, refuses (undefined)
   * when the creator already has that many streams not ended; the creator's account row is
   * locked meanwhile, so concurrent creates are counted one after another.
   */
  async create(input: { title: string; category: string; tags?: string[]; creatorId: string; pricePerSecond?: bigint; recording?: boolean; maxOpen?: number }): Promise<{ stream: StreamRecord; streamKey: string } | undefined> {
    const streamKey = generateStreamKey();
    return this.#db.transaction(async (tx) => {
      if (input.maxOpen !== undefined) {
        await tx.query('SELECT id FROM user_accounts WHERE id = $1 FOR UPDATE', [input.creatorId]);
        if ((await openCount(tx, input.creatorId)) >= input.maxOpen) return undefined;
      }
      const rows = await tx.query<StreamRow>(
        `INSERT INTO streams (id, title, category, stream_key_hash, creator_id, price_per_second, recording, tags)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
        [randomUUID(), input.title, input.category, hashStreamKey(streamKey), input.creatorId, (input.pricePerSecond ?? 0n).toString(), input.recording ?? false, input.tags ?? []],
      );
      return { stream: toRecord(rows[0]!), streamKey };
    });
  }

  /** Streams of this creator that are created or live. */
  async openCount(creatorId: string): Promise<number> {
    return openCount(this.#db, creatorId);
  }

  async get(id: string): Promise<StreamRecord | undefined> {
    const rows = await this.#db.query<StreamRow>(`SELECT ${COLUMNS} FROM streams WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async list(status?: StreamStatus, limit = 100): Promise<StreamRecord[]> {
    const rows = status
      ? await this.#db.query<StreamRow>(
          `SELECT ${COLUMNS} FROM streams WHERE status = $1 ORDER BY started_at DESC NULLS LAST, created_at DESC LIMIT $2`,
          [status, limit],
        )
      : await this.#db.query<StreamRow>(`SELECT ${COLUMNS} FROM streams ORDER BY created_at DESC LIMIT $1`, [limit]);
    return rows.map(toRecord);
  }

  async verifyKey(id: string, streamKey: string): Promise<boolean> {
    const rows = await this.#db.query<{ stream_key_hash: Uint8Array }>(
      'SELECT stream_key_hash FROM streams WHERE id = $1',
      [id],
    );
    return rows[0] !== undefined && streamKeyMatches(streamKey, rows[0].stream_key_hash);
  }

  /**
   * Going live again after an end is allowed: a creator reuses their stream. This replica
   * holds the new lease until the publisher's replica claims it.
   */
  async markLive(id: string): Promise<StreamRecord | undefined> {
    const rows = await this.#db.query<StreamRow>(
      `UPDATE streams SET status = 'live', started_at = now(), ended_at = NULL,
         live_lease_until = now() + make_interval(secs => $2), live_lease_holder = $3
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, this.#lease.seconds, this.#lease.holder],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async markEnded(id: string): Promise<StreamRecord | undefined> {
    const rows = await this.#db.query<StreamRow>(
      `UPDATE streams SET status = 'ended', ended_at = COALESCE(ended_at, now()), viewers = 0, ${NO_LEASE}
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Ends the live stream only if this replica still holds its lease: a publisher that came
   * back on another replica took the lease over, and the stream goes on there.
   */
  async endIfHeld(id: string): Promise<StreamRecord | undefined> {
    const rows = await this.#db.query<StreamRow>(
      `UPDATE streams SET status = 'ended', ended_at = now(), viewers = 0, ${NO_LEASE}
       WHERE id = $1 AND status = 'live' AND live_lease_holder = $2 RETURNING ${COLUMNS}`,
      [id, this.#lease.holder],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** The stream's publisher joined this replica: its lease is this replica's now. False if it is not live. */
  async claimLease(id: string): Promise<boolean> {
    const rows = await this.#db.query<{ id: string }>(
      `UPDATE streams SET live_lease_until = now() + make_interval(secs => $2), live_lease_holder = $3
       WHERE id = $1 AND status = 'live' RETURNING id`,
      [id, this.#lease.seconds, this.#lease.holder],
    );
    return rows.length > 0;
  }

  /** Extends the leases this replica still holds among `ids`; returns those it extended. */
  async renewLeases(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.query<{ id: string }>(
      `UPDATE streams SET live_lease_until = now() + make_interval(secs => $2)
       WHERE id = ANY($1::uuid[]) AND status = 'live' AND live_lease_holder = $3 RETURNING id`,
      [[...ids], this.#lease.seconds, this.#lease.holder],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Ends every live stream whose lease has passed: its holder died or lost the database, and
   * nobody took it over. Row locks make each stream end in exactly one replica's call, which
   * gets it back; a stream someone renewed meanwhile is no longer expired when its row is
   * re-checked, and stays live.
   */
  async endExpiredLeases(): Promise<string[]> {
    const rows = await this.#db.query<{ id: string }>(
      `UPDATE streams SET status = 'ended', ended_at = now(), viewers = 0, ${NO_LEASE}
       WHERE status = 'live' AND (live_lease_until IS NULL OR live_lease_until < now()) RETURNING id`,
    );
    return rows.map((r) => r.id);
  }

  /** The replica holding the live stream's lease; undefined when the stream is not live. */
  async leaseHolder(id: string): Promise<string | undefined> {
    const rows = await this.#db.query<{ holder: string | null }>(
      `SELECT live_lease_holder AS holder FROM streams WHERE id = $1 AND status = 'live'`,
      [id],
    );
    return rows[0] ? (rows[0].holder ?? '') : undefined;
  }

  /** The live viewer count browse orders by, and the peak creator pages show. */
  async recordViewers(id: string, viewers: number): Promise<void> {
    await this.#db.query(
      `UPDATE streams SET viewers = $2, peak_viewers = GREATEST(peak_viewers, $2) WHERE id = $1 AND status = 'live'`,
      [id, viewers],
    );
  }
}

async function openCount(q: Queryable, creatorId: string): Promise<number> {
  const rows = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM streams WHERE creator_id = $1 AND status <> 'ended'`, [creatorId]);
  return rows[0]?.n ?? 0;
}

export function toView(s: StreamRecord, viewers: number): StreamView {
  return {
    id: s.id,
    title: s.title,
    category: s.category,
    status: s.status,
    creator: s.creatorAddress,
    creatorId: s.creatorId,
    creatorHandle: s.creatorHandle,
    tags: s.tags,
    pricePerSecond: s.pricePerSecond.toString(),
    recording: s.recording,
    viewers,
    createdAt: s.createdAt.toISOString(),
    startedAt: s.startedAt?.toISOString() ?? null,
    endedAt: s.endedAt?.toISOString() ?? null,
  };
}
