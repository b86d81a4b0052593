interface Replica {
  lastSeen: number;
  viewers: Map<string, number>;
  /** Streams whose publisher is connected there, with when it joined. */
  publishers: Map<string, number>;
}

/**
 * What this replica knows of the others: each one's viewers per stream and the publishers it
 * holds, as of its last message. A replica heard from within `staleMs` counts; one that went
 * quiet longer (killed, partitioned) is forgotten, so its viewers stop counting and its
 * publishers stop holding their streams here. Pure: the caller passes the time.
 */
export class ReplicaTable {
  readonly #staleMs: number;
  readonly #replicas = new Map<string, Replica>();

  constructor(staleMs: number) {
    this.#staleMs = staleMs;
  }

  /** A heartbeat restates the replica's counts and publishers; returns the streams whose count changed. */
  heartbeat(replica: string, state: { viewers: Record<string, number>; publishers: Record<string, number> }, now: number): string[] {
    const { viewers, publishers } = state;
    const r = this.#touch(replica, now);
    r.publishers = new Map(Object.entries(publishers));
    const changed: string[] = [];
    for (const [streamId, n] of r.viewers) if ((viewers[streamId] ?? 0) !== n) changed.push(streamId);
    for (const [streamId, n] of Object.entries(viewers)) if (n > 0 && !r.viewers.has(streamId)) changed.push(streamId);
    r.viewers = new Map(Object.entries(viewers).filter(([, n]) => n > 0));
    return changed;
  }

  /** One stream's count on one replica; true when it changed. */
  setViewers(replica: string, streamId: string, count: number, now: number): boolean {
    const r = this.#touch(replica, now);
    const before = r.viewers.get(streamId) ?? 0;
    if (count === 0) r.viewers.delete(streamId);
    else r.viewers.set(streamId, count);
    return before !== count;
  }

  setPublisher(replica: string, streamId: string, since: number, now: number): void {
    this.#touch(replica, now).publishers.set(streamId, since);
  }

  clearPublisher(replica: string, streamId: string): void {
    this.#replicas.get(replica)?.publishers.delete(streamId);
  }

  /** The stream ended: no replica counts viewers or holds a publisher for it any more. */
  forgetStream(streamId: string): void {
    for (const r of this.#replicas.values()) {
      r.viewers.delete(streamId);
      r.publishers.delete(streamId);
    }
  }

  /** The replica said it is going; returns the streams whose count changed. */
  drop(replica: string): string[] {
    const r = this.#replicas.get(replica);
    this.#replicas.delete(replica);
    return r ? [...r.viewers.keys()] : [];
  }

  /** Forgets replicas not heard from within staleMs; returns the streams whose count changed. */
  prune(now: number): string[] {
    const changed: string[] = [];
    for (const [id, r] of this.#replicas) if (now - r.lastSeen > this.#staleMs) changed.push(...this.drop(id));
    return changed;
  }

  /** Viewers of the stream on every other replica heard from in time. */
  viewers(streamId: string, now: number): number {
    let n = 0;
    for (const r of this.#replicas.values()) if (this.#fresh(r, now)) n += r.viewers.get(streamId) ?? 0;
    return n;
  }

  /** The replica holding the stream's publisher, if one heard from in time does. */
  publisher(streamId: string, now: number): { replica: string; since: number } | undefined {
    let found: { replica: string; since: number } | undefined;
    for (const [replica, r] of this.#replicas) {
      const since = r.publishers.get(streamId);
      // Two claims in flight at once: the later join is the one that stays.
      if (since !== undefined && this.#fresh(r, now) && (!found || since > found.since)) found = { replica, since };
    }
    return found;
  }

  #fresh(r: Replica, now: number): boolean {
    return now - r.lastSeen <= this.#staleMs;
  }

  #touch(replica: string, now: number): Replica {
    let r = this.#replicas.get(replica);
    if (!r) this.#replicas.set(replica, (r = { lastSeen: now, viewers: new Map(), publishers: new Map() }));
    r.lastSeen = Math.max(r.lastSeen, now);
    return r;
  }
}
