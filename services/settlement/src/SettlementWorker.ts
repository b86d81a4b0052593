import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Ledger, SettleResult, WindowUsage } from './Ledger.ts';
import { RedisTickSource } from './RedisTickSource.ts';
import type { SettlementMetrics } from './SettlementMetrics.ts';
import { DEFAULT_GRACE_SECONDS, DEFAULT_WINDOW_SECONDS, parseWindowMember, windowClosesAt, type OverdraftMessage, type ViewerSession } from '@vilokanam/contracts/ticks';
import type { IndexedWindow, TickSource } from './TickSource.ts';

export interface SettlementWorkerOptions {
  /** Where ticks come from: a TickSource (e.g. MemoryTickStore), or Redis (shorthand for a RedisTickSource). */
  source?: TickSource;
  redis?: Redis;
  ledger: Ledger;
  log: Logger;
  metrics?: SettlementMetrics;
  windowSeconds?: number;
  graceSeconds?: number;
  intervalMs?: number;
  /** Windows per ledger transaction. */
  batchSize?: number;
  /** Unix milliseconds. */
  now?: () => number;
  /**
   * Seconds of every session's price a viewer must keep after a batch, or their sessions stop
   * (`low_balance`). Cover window + grace + interval, and no watched second goes unbilled.
   * 0: stop only on a real overdraft.
   */
  reserveSeconds?: number;
  /** Runs after a batch is committed and before the tick source is cleaned: the crash window tests aim at. */
  beforeCleanup?: (results: readonly SettleResult[]) => Promise<void> | void;
}

export type OverdraftEvent = Omit<OverdraftMessage, 'v'>;

export interface PassSummary {
  /** Closed windows handled (settled, duplicate, empty or orphaned). */
  windows: number;
  settled: number;
  overdrawn: number;
  duplicates: number;
  /** Indexed windows with no ticks left (a crash after DEL, before SREM). */
  empty: number;
  orphaned: number;
  /** Watched seconds in newly settled windows. */
  ticks: number;
  /** Of those, seconds another session of the same viewer on the same stream had already paid. */
  sharedSeconds: number;
  billedSeconds: number;
  batches: number;
  durationMs: number;
  /** Seconds between the oldest handled window closing and this pass; 0 when none. */
  lagSeconds: number;
}

export interface SettlementWorkerEvents {
  overdraft: [OverdraftEvent];
  pass: [PassSummary];
  /** A pass failed; nothing was lost, the next pass retries. */
  passerror: [Error];
}

type Member = IndexedWindow;

interface ReadBatch {
  members: Member[];
  usages: WindowUsage[];
  /** Members of `usages`, in the same order. */
  used: Member[];
  empty: Member[];
  orphans: string[];
}

const META_CACHE_MAX = 200_000;

/**
 * Folds closed tick windows from a TickSource (Redis, or MemoryTickStore in embedded mode) into
 * the ledger. Per batch: read tick seconds and session hashes (pipelined), settle in one ledger
 * transaction, and only then delete the ticks and unindex the windows (one MULTI). A crash anywhere leaves the window indexed or already
 * settled; a replay finds it settled and only cleans up, so every second is billed at most once
 * and no committed second is lost.
 */
export class SettlementWorker extends EventEmitter<SettlementWorkerEvents> {
  readonly #source: TickSource;
  readonly #ledger: Ledger;
  readonly #log: Logger;
  readonly #metrics: SettlementMetrics | undefined;
  readonly #w: number;
  readonly #grace: number;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #now: () => number;
  readonly #beforeCleanup: SettlementWorkerOptions['beforeCleanup'];
  readonly #reserveSeconds: number;
  /** Session hashes are immutable once written (the price is fixed at join), so they cache safely. */
  readonly #meta = new Map<string, ViewerSession>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;

  constructor(opts: SettlementWorkerOptions) {
    super();
    if (opts.source) this.#source = opts.source;
    else if (opts.redis) this.#source = new RedisTickSource(opts.redis);
    else throw new Error('SettlementWorker: a tick source or redis is required');
    this.#ledger = opts.ledger;
    this.#log = opts.log.child({ component: 'settlement-worker' });
    this.#metrics = opts.metrics;
    this.#w = opts.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
    this.#grace = opts.graceSeconds ?? DEFAULT_GRACE_SECONDS;
    this.#intervalMs = opts.intervalMs ?? 2000;
    this.#batchSize = opts.batchSize ?? 2000;
    this.#now = opts.now ?? Date.now;
    this.#beforeCleanup = opts.beforeCleanup;
    this.#reserveSeconds = opts.reserveSeconds ?? 0;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const tick = (): void => {
      this.#running = this.runOnce()
        .catch((err: Error) => {
          this.#metrics?.passErrors.inc();
          this.#log.error({ err }, 'settlement pass failed; retrying');
          this.emit('passerror', err);
        })
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#intervalMs);
        });
    };
    tick();
  }

  /** Stops scheduling and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Settles every window closed now, in batches; the next batch's tick reads overlap this one's ledger write. */
  async runOnce(): Promise<PassSummary> {
    const started = performance.now();
    const nowS = Math.floor(this.#now() / 1000);
    const sum: PassSummary = { windows: 0, settled: 0, overdrawn: 0, duplicates: 0, empty: 0, orphaned: 0, ticks: 0, sharedSeconds: 0, billedSeconds: 0, batches: 0, durationMs: 0, lagSeconds: 0 };
    let oldestClose = Infinity;
    const seen = new Set<string>();
    let pending: Member[] = [];
    let inflight: Promise<void> | undefined;
    const flush = async (members: Member[]): Promise<void> => {
      const read = await this.#read(members);
      await inflight;
      inflight = this.#commit(read, sum);
      // Awaited by the next flush or at the end; meanwhile a rejection must not count as unhandled.
      inflight.catch(() => undefined);
    };
    for await (const members of this.#source.scanWindows()) {
      const invalid: string[] = [];
      for (const member of members) {
        // SSCAN may return a member twice; a second settle would only be a duplicate, but skip it.
        if (seen.has(member)) continue;
        seen.add(member);
        const parsed = parseWindowMember(member);
        if (!parsed) {
          invalid.push(member);
          continue;
        }
        const closesAt = windowClosesAt(parsed.window, this.#w, this.#grace);
        if (nowS < closesAt) continue;
        oldestClose = Math.min(oldestClose, closesAt);
        pending.push({ member, ...parsed });
        if (pending.length >= this.#batchSize) {
          const batch = pending;
          pending = [];
          await flush(batch);
        }
      }
      if (invalid.length) {
        await this.#quarantine(invalid);
        sum.orphaned += invalid.length;
        sum.windows += invalid.length;
      }
    }
    if (pending.length) await flush(pending);
    await inflight;
    sum.durationMs = performance.now() - started;
    sum.lagSeconds = oldestClose === Infinity ? 0 : Math.max(0, nowS - oldestClose);
    this.#metrics?.lag.set(sum.lagSeconds);
    this.#metrics?.openWindows.set(await this.#source.indexedWindows());
    if (sum.windows) this.#log.info(sum, 'settlement pass');
    this.emit('pass', sum);
    return sum;
  }

  async #read(members: Member[]): Promise<ReadBatch> {
    const unknown = [...new Set(members.map((m) => m.sessionId).filter((s) => !this.#meta.has(s)))];
    const { seconds, sessions } = await this.#source.read(members, unknown);
    unknown.forEach((s, i) => {
      const session = sessions[i];
      if (!session) return;
      if (this.#meta.size >= META_CACHE_MAX) this.#meta.delete(this.#meta.keys().next().value!);
      this.#meta.set(s, session);
    });
    const out: ReadBatch = { members, usages: [], used: [], empty: [], orphans: [] };
    members.forEach((m, i) => {
      const inWindow = this.#inWindow(m, seconds[i]!);
      const meta = this.#meta.get(m.sessionId);
      if (inWindow.length === 0) out.empty.push(m);
      else if (!meta) out.orphans.push(m.member);
      else {
        out.used.push(m);
        out.usages.push({
          sessionId: m.sessionId,
          window: m.window,
          seconds: inWindow.length,
          unixSeconds: inWindow,
          windowSeconds: this.#w,
          pricePerSecond: meta.pricePerSecond,
          viewer: meta.viewer,
          creator: meta.creator,
          stream: meta.stream,
        });
      }
    });
    return out;
  }

  /**
   * The window's ticks that are seconds of it. Any other (a tick emitter with another W, a
   * member not written by recordTicks) is dropped with a warning rather than passed on, where
   * the ledger would refuse the whole batch, every pass.
   */
  #inWindow(m: Member, seconds: readonly number[]): number[] {
    const from = m.window * this.#w;
    const kept = seconds.filter((s) => Number.isSafeInteger(s) && s >= from && s < from + this.#w);
    if (kept.length < seconds.length) {
      this.#log.warn({ sessionId: m.sessionId, window: m.window, dropped: seconds.length - kept.length }, 'ticks outside their window dropped; W mismatch?');
    }
    return kept;
  }

  async #commit(b: ReadBatch, sum: PassSummary): Promise<void> {
    const end = this.#metrics?.batchDuration.startTimer();
    const results = b.usages.length ? await this.#ledger.settleWindows(b.usages) : [];
    await this.#beforeCleanup?.(results);

    let settled = 0;
    let duplicates = 0;
    let ticks = 0;
    let shared = 0;
    let billed = 0;
    for (const r of results) {
      if (r.status === 'duplicate') {
        duplicates++;
        continue;
      }
      settled++;
      ticks += r.seconds;
      shared += r.sharedSeconds;
      billed += r.billedSeconds;
    }
    const overdrawn = this.#stops(results, b.usages);
    // Tell the media side before cleaning up: a crash in between only repeats the cleanup.
    if (overdrawn.size) {
      await this.#source.publishOverdrafts([...overdrawn.values()].map((ev) => ({ v: 1, ...ev }) satisfies OverdraftMessage));
      for (const ev of overdrawn.values()) {
        this.#log.info(ev, ev.reason === 'low_balance' ? 'viewer balance low: sessions stopped' : 'viewer overdrawn');
        this.emit('overdraft', ev);
      }
    }

    const done = [...b.used, ...b.empty];
    if (done.length) await this.#source.clear(done);
    if (b.orphans.length) await this.#quarantine(b.orphans);

    const ov = results.filter((r) => r.status === 'overdrawn').length;
    sum.windows += b.members.length;
    sum.settled += settled - ov;
    sum.overdrawn += ov;
    sum.duplicates += duplicates;
    sum.empty += b.empty.length;
    sum.orphaned += b.orphans.length;
    sum.ticks += ticks;
    sum.sharedSeconds += shared;
    sum.billedSeconds += billed;
    sum.batches++;
    const m = this.#metrics;
    if (m) {
      m.windows.inc({ outcome: 'settled' }, settled - ov);
      m.windows.inc({ outcome: 'overdrawn' }, ov);
      m.windows.inc({ outcome: 'duplicate' }, duplicates);
      m.windows.inc({ outcome: 'empty' }, b.empty.length);
      m.duplicates.inc(duplicates);
      m.ticksSettled.inc(ticks);
      m.secondsShared.inc(shared);
      m.secondsBilled.inc(billed);
      m.overdrafts.inc(overdrawn.size);
      end?.();
    }
  }

  /**
   * Sessions whose media must stop: one report per session per batch. An overdrawn window
   * names its first short window and every unbilled second. With a reserve, a viewer whose
   * balance after this batch would not cover `reserveSeconds` of all their sessions is
   * stopped too (`low_balance`): the seconds already watched but not yet settled are then
   * still covered, so every watched second is billed.
   */
  #stops(results: readonly SettleResult[], usages: readonly WindowUsage[]): Map<string, OverdraftEvent> {
    const stops = new Map<string, OverdraftEvent>();
    const viewers = new Map<string, { balance: bigint; capped: boolean; price: Map<string, bigint>; sessions: Map<string, OverdraftEvent> }>();
    results.forEach((r, i) => {
      if (r.status === 'duplicate') return;
      if (r.status === 'overdrawn') {
        const prev = stops.get(r.sessionId);
        // Shared seconds were paid, by another session: only what the balance left out is unbilled.
        const unbilled = r.seconds - r.sharedSeconds - r.billedSeconds + (prev?.unbilledSeconds ?? 0);
        const window = Math.min(r.window, prev?.window ?? Infinity);
        stops.set(r.sessionId, { sessionId: r.sessionId, viewer: r.viewer, stream: r.stream, window, unbilledSeconds: unbilled, reason: 'overdrawn' });
      }
      let v = viewers.get(r.viewer);
      if (!v) viewers.set(r.viewer, (v = { balance: r.balanceAfter, capped: r.capped, price: new Map(), sessions: new Map() }));
      // The ledger bills a viewer's windows in order, so the lowest balance is the latest.
      // A spending cap counts as the balance: the viewer stops before passing it, as before running dry.
      if (r.balanceAfter < v.balance) {
        v.balance = r.balanceAfter;
        v.capped = r.capped;
      }
      v.price.set(r.sessionId, usages[i]!.pricePerSecond);
      v.sessions.set(r.sessionId, { sessionId: r.sessionId, viewer: r.viewer, stream: r.stream, window: r.window, unbilledSeconds: 0, reason: 'low_balance' });
    });
    if (this.#reserveSeconds === 0) return stops;
    for (const v of viewers.values()) {
      let perSecond = 0n;
      for (const p of v.price.values()) perSecond += p;
      if (perSecond === 0n || v.balance >= perSecond * BigInt(this.#reserveSeconds)) continue;
      for (const [sessionId, ev] of v.sessions) if (!stops.has(sessionId)) stops.set(sessionId, v.capped ? { ...ev, reason: 'spending_cap' } : ev);
    }
    return stops;
  }

  /**
   * Windows whose session hash is missing or malformed cannot be billed; they move to the
   * orphan index (vilo:tickwin:orphan on Redis) with their ticks kept, so an operator can fix the hash and SMOVE them back.
   */
  async #quarantine(members: string[]): Promise<void> {
    await this.#source.quarantine(members);
    this.#metrics?.orphans.inc(members.length);
    this.#log.error({ count: members.length, sample: members.slice(0, 5) }, 'windows without a usable session hash set aside');
  }
}
