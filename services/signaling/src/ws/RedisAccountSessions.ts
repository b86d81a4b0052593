import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { UntrustedInput } from '@vilokanam/contracts/untrusted';
import type { AccountSessions } from './AccountSessions.ts';
import { LIST, MEMBER, Member, REFRESH, RESERVE, ReserveReply, SweepReply } from './accountSessionScripts.ts';

/** Counted as `vilo_malformed_messages_total{source}` when a member or a reply fails to parse. */
const SOURCE = 'account-sessions';
/** A Redis that is down fails every refresh; one line per this interval says so. */
const FAILURE_LOG_MS = 10_000;

export function accountSessionsKey(fleet: string, account: string): string {
  return `vilo:account-sessions:${fleet}:${account}`;
}

export interface RedisAccountSessionsOptions {
  redis: Redis;
  /** This replica, written into its members so that whose they are can be seen. */
  replicaId: string;
  /** Which fleet's sessions; fleets sharing one Redis keep their own counts. */
  fleet: string;
  /** How long a reservation outlives its replica's last refresh; refreshed three times a lease. */
  leaseMs: number;
  untrusted: UntrustedInput;
  log: Logger;
}

interface Held {
  account: string;
  member: string;
}

/**
 * Fleet and Kubernetes mode: every replica's sessions of an account in one sorted set in Redis
 * (accountSessionScripts.ts), so `VILO_MAX_SESSIONS_PER_ACCOUNT` and the balance a paid join
 * must cover hold across replicas. Each check-and-reserve is one Lua script, so two replicas
 * admitting one account at once cannot both take its last place. A replica keeps its own
 * sessions' reservations alive while they last and removes them when they end; a killed one
 * stops refreshing, and its reservations lapse within a lease.
 */
export class RedisAccountSessions implements AccountSessions {
  readonly #o: RedisAccountSessionsOptions;
  readonly #log: Logger;
  /** This replica's reservations, by session. */
  readonly #held = new Map<string, Held>();
  /** Reservations in flight, by session: a release waits for its reserve. */
  readonly #pending = new Map<string, Promise<boolean>>();
  #timer: NodeJS.Timeout | undefined;
  #refreshing = false;
  #closed = false;
  #lastFailureLog = 0;

  constructor(opts: RedisAccountSessionsOptions) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(opts.replicaId)) throw new Error(`replica id ${JSON.stringify(opts.replicaId)} cannot be written into a member`);
    this.#o = opts;
    this.#log = opts.log.child({ component: 'account-sessions' });
  }

  /** Starts refreshing this replica's reservations, three times a lease. */
  start(): void {
    this.#timer ??= setInterval(() => void this.refresh(), Math.max(100, Math.floor(this.#o.leaseMs / 3))).unref();
  }

  async reserve(account: string, sessionId: string, pricePerSecond: bigint, max: number): Promise<boolean> {
    if (this.#closed) throw new Error('account sessions closed');
    const held = this.#held.get(sessionId);
    const member = held?.account === account ? held.member : `${pricePerSecond} ${sessionId} ${this.#o.replicaId}`;
    if (!MEMBER.test(member)) throw new Error('session id or price cannot be written into a member');
    const pending = this.#reserve(account, sessionId, member, max);
    this.#pending.set(sessionId, pending);
    try {
      return await pending;
    } finally {
      if (this.#pending.get(sessionId) === pending) this.#pending.delete(sessionId);
    }
  }

  async release(account: string, sessionId: string): Promise<void> {
    await this.#pending.get(sessionId)?.catch(() => false);
    const held = this.#held.get(sessionId);
    if (!held || held.account !== account) return;
    this.#held.delete(sessionId);
    await this.#o.redis.zrem(accountSessionsKey(this.#o.fleet, account), held.member);
  }

  async pricePerSecond(account: string): Promise<bigint> {
    const reply = await this.#o.redis.eval(LIST, 1, accountSessionsKey(this.#o.fleet, account));
    const parsed = this.#o.untrusted.parse(SOURCE, SweepReply, reply);
    if (!parsed) throw new Error('account sessions: unreadable reply');
    const [live, malformed] = parsed;
    return this.#sum(live, malformed);
  }

  /** One refresh round: every reservation this replica holds lasts another lease. Rounds never overlap. */
  async refresh(): Promise<void> {
    if (this.#refreshing || this.#closed || this.#held.size === 0) return;
    this.#refreshing = true;
    try {
      const pipe = this.#o.redis.pipeline();
      for (const [account, members] of this.#byAccount()) pipe.eval(REFRESH, 1, accountSessionsKey(this.#o.fleet, account), this.#o.leaseMs, ...members);
      for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
    } catch (err) {
      this.#failed(err, 'account sessions not refreshed: they lapse if this lasts a lease');
    } finally {
      this.#refreshing = false;
    }
  }

  /** Stops refreshing and removes what this replica still holds; a reservation it cannot remove lapses. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.allSettled(this.#pending.values());
    const byAccount = this.#byAccount();
    this.#held.clear();
    if (byAccount.size === 0) return;
    const pipe = this.#o.redis.pipeline();
    for (const [account, members] of byAccount) pipe.zrem(accountSessionsKey(this.#o.fleet, account), ...members);
    await pipe.exec().catch((err: unknown) => this.#failed(err, 'account sessions not removed on close: they lapse within a lease'));
  }

  async #reserve(account: string, sessionId: string, member: string, max: number): Promise<boolean> {
    const reply = await this.#o.redis.eval(RESERVE, 1, accountSessionsKey(this.#o.fleet, account), member, max, this.#o.leaseMs);
    const parsed = this.#o.untrusted.parse(SOURCE, ReserveReply, reply);
    if (!parsed) throw new Error('account sessions: unreadable reply');
    const [admitted, live, malformed] = parsed;
    this.#count(live, malformed);
    // Held from here, before any caller resumes: a release that waited on this sees it.
    if (admitted === 1) this.#held.set(sessionId, { account, member });
    return admitted === 1;
  }

  #sum(live: string[], malformed: string[]): bigint {
    let total = 0n;
    for (const m of this.#count(live, malformed)) total += m.pricePerSecond;
    return total;
  }

  /** Parses the members that counted and reports those the script dropped; returns the parsed ones. */
  #count(live: string[], malformed: string[]): z.infer<typeof Member>[] {
    for (let i = 0; i < malformed.length; i++) this.#o.untrusted.reject(SOURCE, 'member not <price> <session> <replica>');
    const members: z.infer<typeof Member>[] = [];
    for (const m of live) {
      const parsed = this.#o.untrusted.parse(SOURCE, Member, m);
      if (parsed) members.push(parsed);
    }
    return members;
  }

  #byAccount(): Map<string, string[]> {
    const byAccount = new Map<string, string[]>();
    for (const { account, member } of this.#held.values()) {
      const members = byAccount.get(account);
      if (members) members.push(member);
      else byAccount.set(account, [member]);
    }
    return byAccount;
  }

  #failed(err: unknown, msg: string): void {
    const now = Date.now();
    if (now - this.#lastFailureLog < FAILURE_LOG_MS) return;
    this.#lastFailureLog = now;
    this.#log.warn({ err }, msg);
  }
}
