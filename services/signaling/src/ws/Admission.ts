import type { Spendable } from '@vilokanam/settlement';
import { notEnough } from '../billing/notEnough.ts';
import type { Logger } from 'pino';
import type { ViewerBilling } from '../billing/ViewerBilling.ts';
import type { StreamRecord } from '../StreamStore.ts';
import type { MediaGrant } from '../TokenIssuer.ts';
import type { AccountSessions } from './AccountSessions.ts';
import { WsError } from './WsError.ts';

export interface AdmissionDeps {
  accounts: AccountSessions;
  billing: ViewerBilling;
  log: Logger;
  limits: { sessionsPerAccount: number };
  pricing: {
    /** A paid session starts only if the account's balance covers this many seconds of all its sessions. */
    minPrepaidSeconds: number;
    /** What the account may spend on the stream: its balance, or less under a spending cap it set. */
    spendable(accountId: string, streamId: string): Promise<Spendable>;
  };
}

/**
 * What a session holds against its account while it watches, whatever carries it (a signaling
 * socket, a WHEP resource): its place among the account's sessions and, for a paid stream, the
 * billing record at the price the token fixed. Taken once, given back once.
 */
export class Admission {
  readonly #deps: AdmissionDeps;
  readonly #sessionId: string;
  #account: string | undefined;
  #billed = false;

  constructor(deps: AdmissionDeps, sessionId: string) {
    this.#deps = deps;
    this.#sessionId = sessionId;
  }

  get account(): string | undefined {
    return this.#account;
  }

  /** True while a billing record is open: the session's media is metered. */
  get billed(): boolean {
    return this.#billed;
  }

  /**
   * Counts the session against its account, and for a paid stream checks that the account's
   * balance covers every session it now holds and opens the billing record. On failure it
   * throws; call release() either way once the session is done.
   */
  async admit(grant: MediaGrant, stream: StreamRecord, price: bigint): Promise<void> {
    const { accounts, limits, pricing } = this.#deps;
    const account = grant.account;
    if (price > 0n && !account) throw new WsError('unauthorized', 'sign in to watch a paid stream');
    if (price > 0n && !stream.creatorId) throw new WsError('internal', 'paid stream without a creator');
    if (!account) return;
    // Set before the await: a release() meanwhile (the socket closed) still gives the place
    // back, once the reservation has settled.
    this.#account = account;
    let reserved = false;
    try {
      reserved = await accounts.reserve(account, this.#sessionId, price, limits.sessionsPerAccount);
    } finally {
      if (!reserved) this.#account = undefined;
    }
    if (!reserved) throw new WsError('rate_limited', `one account may hold at most ${limits.sessionsPerAccount} sessions at once`);
    if (price === 0n) return;
    // Every session of the account, on every replica, including this one.
    const needed = (await accounts.pricePerSecond(account)) * BigInt(Math.max(1, pricing.minPrepaidSeconds));
    const spendable = await pricing.spendable(account, stream.id);
    if (spendable.amount < needed) throw new WsError('payment_required', notEnough(spendable, needed, pricing.minPrepaidSeconds));
    await this.#deps.billing.open({ sessionId: this.#sessionId, viewer: account, creator: stream.creatorId!, stream: stream.id, pricePerSecond: price, joinedAt: Date.now() });
    this.#billed = true;
  }

  /** Idempotent: the account's count and the billing record, if this session holds them. */
  release(): void {
    if (this.#account) {
      this.#deps.accounts.release(this.#account, this.#sessionId).catch((err: unknown) => this.#deps.log.warn({ err, session: this.#sessionId }, 'account session not released: it lapses with its lease'));
    }
    if (this.#billed) {
      this.#billed = false;
      this.#deps.billing.close(this.#sessionId).catch((err: unknown) => this.#deps.log.error({ err, session: this.#sessionId }, 'billing session not closed'));
    }
  }
}
