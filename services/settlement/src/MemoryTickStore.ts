import { EventEmitter } from 'node:events';
import { DEFAULT_WINDOW_SECONDS, parseViewerSession, viewerSessionHash, windowMember, windowOf, type OverdraftMessage, type ViewerSession } from '@vilokanam/contracts/ticks';
import type { IndexedWindow, TickReads, TickSource } from './TickSource.ts';

export interface MemoryTickStoreEvents {
  /** What Redis publishes on vilo:overdraft: stop this session's consumers and tell the player. */
  overdraft: [OverdraftMessage];
}

export interface MemoryTickStoreOptions {
  /** W; must equal the worker's. */
  windowSeconds?: number;
  /** Unix milliseconds; for session expiry. */
  now?: () => number;
}

/** Sweep expired sessions once per this many closes, so a long run does not keep them all. */
const SWEEP_EVERY = 1024;
const SCAN_CHUNK = 2000;

/**
 * ticks.ts's Redis contract in process, for embedded mode (no Redis): the media side writes
 * through openViewerSession / recordTicks / record (sfu-node's TickSink shape) and listens for
 * `overdraft`; SettlementWorker reads it as a TickSource. Same semantics as Redis: a tick is a
 * set member (a repeated second is a no-op), the tick set and the index change together, a
 * window stays indexed until the worker clears it, and a closed session's record expires
 * after a TTL instead of vanishing. State lives only as long as the process: ticks not yet
 * settled when it stops are lost (never billed twice).
 */
export class MemoryTickStore extends EventEmitter<MemoryTickStoreEvents> implements TickSource {
  readonly #w: number;
  readonly #now: () => number;
  readonly #sessions = new Map<string, { session: ViewerSession; expiresAt: number | undefined }>();
  /** `<sessionId>:<w>` → the unix seconds media flowed. */
  readonly #ticks = new Map<string, Set<number>>();
  readonly #index = new Set<string>();
  readonly #orphans = new Set<string>();
  #closes = 0;

  constructor(opts: MemoryTickStoreOptions = {}) {
    super();
    this.#w = opts.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
    if (!Number.isInteger(this.#w) || this.#w < 1) throw new Error('windowSeconds: must be a positive integer');
    this.#now = opts.now ?? Date.now;
  }

  get windowSeconds(): number {
    return this.#w;
  }

  // ---- the media side (signaling, sfu-node) ----

  /** Signaling, at join. The price is fixed for the session; reopening replaces nothing but the expiry. */
  async openViewerSession(s: ViewerSession): Promise<void> {
    const parsed = parseViewerSession(s.sessionId, viewerSessionHash(s))!;
    this.#sessions.set(s.sessionId, { session: parsed, expiresAt: undefined });
  }

  /** Signaling, at leave: the record must outlive the session's last window, so it expires. */
  async closeViewerSession(sessionId: string, ttlSeconds = 86_400): Promise<void> {
    const entry = this.#sessions.get(sessionId);
    if (entry) entry.expiresAt = this.#now() + ttlSeconds * 1000;
    if (++this.#closes % SWEEP_EVERY === 0) {
      const now = this.#now();
      for (const [id, e] of this.#sessions) if (e.expiresAt !== undefined && e.expiresAt <= now) this.#sessions.delete(id);
    }
  }

  async recordTick(sessionId: string, unixSecond: number): Promise<void> {
    this.recordTicksSync([{ sessionId, unixSecond }]);
  }

  async recordTicks(ticks: readonly { sessionId: string; unixSecond: number }[]): Promise<void> {
    this.recordTicksSync(ticks);
  }

  /** sfu-node's TickSink: `new SfuNode(config, log, { tickSink: store })`. */
  record(ticks: readonly { sessionId: string; unixSecond: number }[]): Promise<void> {
    return this.recordTicks(ticks);
  }

  /** All or nothing, like the MULTI: every tick is checked before any is stored. */
  recordTicksSync(ticks: readonly { sessionId: string; unixSecond: number }[]): void {
    for (const { unixSecond } of ticks) {
      if (!Number.isSafeInteger(unixSecond) || unixSecond < 0) throw new Error('unixSecond: must be a non-negative integer');
    }
    for (const { sessionId, unixSecond } of ticks) {
      const member = windowMember(sessionId, windowOf(unixSecond, this.#w));
      let set = this.#ticks.get(member);
      if (!set) this.#ticks.set(member, (set = new Set()));
      set.add(unixSecond);
      this.#index.add(member);
    }
  }

  // ---- inspection and operator actions ----

  /** Distinct seconds held for a window not yet settled. */
  ticksIn(sessionId: string, window: number): number {
    return this.#ticks.get(windowMember(sessionId, window))?.size ?? 0;
  }

  orphans(): string[] {
    return [...this.#orphans];
  }

  /** The SMOVE back an operator does once the session record is fixed. */
  requeueOrphan(member: string): boolean {
    if (!this.#orphans.delete(member)) return false;
    this.#index.add(member);
    return true;
  }

  // ---- TickSource, for SettlementWorker ----

  async *scanWindows(): AsyncIterable<string[]> {
    // A snapshot: windows indexed meanwhile wait for the next pass, as with SSCAN.
    const all = [...this.#index];
    for (let i = 0; i < all.length; i += SCAN_CHUNK) yield all.slice(i, i + SCAN_CHUNK);
  }

  async read(windows: readonly IndexedWindow[], sessionIds: readonly string[]): Promise<TickReads> {
    const now = this.#now();
    return {
      seconds: windows.map((m) => [...(this.#ticks.get(m.member) ?? [])]),
      sessions: sessionIds.map((id) => {
        const e = this.#sessions.get(id);
        if (e?.expiresAt !== undefined && e.expiresAt <= now) {
          this.#sessions.delete(id);
          return undefined;
        }
        return e?.session;
      }),
    };
  }

  async clear(windows: readonly IndexedWindow[]): Promise<void> {
    for (const m of windows) {
      this.#ticks.delete(m.member);
      this.#index.delete(m.member);
    }
  }

  async quarantine(members: readonly string[]): Promise<void> {
    for (const member of members) {
      if (this.#index.delete(member)) this.#orphans.add(member);
    }
  }

  async publishOverdrafts(messages: readonly OverdraftMessage[]): Promise<void> {
    for (const m of messages) this.emit('overdraft', m);
  }

  async indexedWindows(): Promise<number> {
    return this.#index.size;
  }
}
