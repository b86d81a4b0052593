import type { Redis } from 'ioredis';
import { ORPHAN_INDEX_KEY, OVERDRAFT_CHANNEL, parseViewerSession, sessionKey, TICK_INDEX_KEY, ticksKey, type OverdraftMessage } from '@vilokanam/contracts/ticks';
import type { IndexedWindow, TickReads, TickSource } from './TickSource.ts';

const SCAN_COUNT = 2000;
/**
 * SMEMBERS of every key, in order: the seconds themselves, so the ledger can bill a second once
 * per viewer and stream across sessions. Multi-key: all keys of a batch must live on one Redis
 * (no cluster).
 */
const SMEMBERS_MANY = "local r = {} for i, k in ipairs(KEYS) do r[i] = redis.call('SMEMBERS', k) end return r";

/** Members are String(unixSecond) (recordTicks); anything else becomes NaN, for the worker to drop. */
const parseSecond = (member: string): number => (/^\d{1,16}$/.test(member) ? Number(member) : NaN);

/** The Redis side of ticks.ts's contract, as SettlementWorker reads it. */
export class RedisTickSource implements TickSource {
  readonly #redis: Redis;
  readonly #channel: string;
  readonly #sessionKey: Uint8Array | undefined;

  /**
   * `overdraftChannel` exists for tests sharing one Redis: pub/sub ignores the database number.
   * With `sessionKey`, a session hash bills only if signaling's signature matches it; any other
   * is unusable, so its windows are set aside as orphans, never billed.
   */
  constructor(redis: Redis, opts: { overdraftChannel?: string; sessionKey?: Uint8Array } = {}) {
    this.#redis = redis;
    this.#channel = opts.overdraftChannel ?? OVERDRAFT_CHANNEL;
    this.#sessionKey = opts.sessionKey;
  }

  async *scanWindows(): AsyncIterable<string[]> {
    let cursor = '0';
    do {
      const [next, members] = await this.#redis.sscan(TICK_INDEX_KEY, cursor, 'COUNT', SCAN_COUNT);
      cursor = next;
      yield members;
    } while (cursor !== '0');
  }

  async read(windows: readonly IndexedWindow[], sessionIds: readonly string[]): Promise<TickReads> {
    const pipe = this.#redis.pipeline();
    // One command for the whole batch's seconds: thousands of SMEMBERS cost more in the client than in Redis.
    pipe.eval(SMEMBERS_MANY, windows.length, ...windows.map((m) => ticksKey(m.sessionId, m.window)));
    for (const s of sessionIds) pipe.hgetall(sessionKey(s));
    const replies = (await pipe.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    return {
      seconds: (replies[0]![1] as string[][]).map((members) => members.map(parseSecond)),
      sessions: sessionIds.map((s, i) => parseViewerSession(s, replies[1 + i]![1] as Record<string, string>, this.#sessionKey)),
    };
  }

  async clear(windows: readonly IndexedWindow[]): Promise<void> {
    if (windows.length === 0) return;
    const replies = await this.#redis
      .multi()
      .del(...windows.map((m) => ticksKey(m.sessionId, m.window)))
      .srem(TICK_INDEX_KEY, ...windows.map((m) => m.member))
      .exec();
    if (!replies) throw new Error('redis cleanup aborted');
    for (const [err] of replies) if (err) throw err;
  }

  async quarantine(members: readonly string[]): Promise<void> {
    const multi = this.#redis.multi();
    for (const member of members) multi.smove(TICK_INDEX_KEY, ORPHAN_INDEX_KEY, member);
    await multi.exec();
  }

  async publishOverdrafts(messages: readonly OverdraftMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const pipe = this.#redis.pipeline();
    for (const m of messages) pipe.publish(this.#channel, JSON.stringify(m));
    await pipe.exec();
  }

  indexedWindows(): Promise<number> {
    return this.#redis.scard(TICK_INDEX_KEY);
  }
}
