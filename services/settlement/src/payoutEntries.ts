// The ledger entries that end a payout batch, per kind. Creator payouts move payout_pending;
// a withdrawal moves withdrawal_pending, gives the platform the fee charge when it lands, and
// returns everything to where it came from when it does not (migrations/005_withdrawals.sql).
import { addTo, creatorAccount, ESCROW_ACCOUNT, payoutPendingAccount, PLATFORM_ACCOUNT, withdrawalPendingAccount } from './ledgerSql.ts';
import type { PayoutItem } from './PayoutBook.ts';

export interface BatchMoney {
  kind: 'creators' | 'withdrawal';
  /** Withdrawals: the ledger account the money came from. */
  source: string | null;
  /** Withdrawals: kept for the network fee; sent = requested − charge. */
  charge: bigint;
  items: PayoutItem[];
}

function withdrawal(b: BatchMoney): { owner: string; source: string; sent: bigint; requested: bigint } {
  const [item, extra] = b.items;
  if (!item || extra || !b.source) throw new Error('a withdrawal has exactly one item and a source');
  return { owner: item.creator, source: b.source, sent: item.amount, requested: item.amount + b.charge };
}

/** Every transfer happened: the money left escrow. */
export function finalizeEntries(b: BatchMoney): Map<string, bigint> {
  const entries = new Map<string, bigint>();
  if (b.kind === 'withdrawal') {
    const w = withdrawal(b);
    addTo(entries, withdrawalPendingAccount(w.owner), -w.requested);
    addTo(entries, ESCROW_ACCOUNT, w.sent);
    addTo(entries, PLATFORM_ACCOUNT, b.charge);
    return entries;
  }
  for (const i of b.items) {
    addTo(entries, payoutPendingAccount(i.creator), -i.amount);
    addTo(entries, ESCROW_ACCOUNT, i.amount);
  }
  return entries;
}

/** Nothing was paid: the money goes back where it was reserved from. */
export function reverseEntries(b: BatchMoney): Map<string, bigint> {
  const entries = new Map<string, bigint>();
  if (b.kind === 'withdrawal') {
    const w = withdrawal(b);
    addTo(entries, withdrawalPendingAccount(w.owner), -w.requested);
    addTo(entries, w.source, w.requested);
    return entries;
  }
  for (const i of b.items) {
    addTo(entries, payoutPendingAccount(i.creator), -i.amount);
    addTo(entries, creatorAccount(i.creator), i.amount);
  }
  return entries;
}
