// The money REST contract (wallet, earnings, proofs, reconciler), shared with the browser.
// Types only. Every amount is planck as a decimal string: JSON numbers cannot hold a u128,
// and nothing on the money path is ever a float.

/** Planck, a non-negative decimal string, e.g. "12500000000". */
export type Planck = string;
/** Planck that may be negative (a ledger entry), e.g. "-900". */
export type SignedPlanck = string;

/** GET /api/v1/chain: how to read amounts, and where a browser wallet sends a deposit. */
export interface ChainResponse {
  /** The chain's own token (registry properties); null until settlement has connected to a chain once. */
  token: { symbol: string; decimals: number } | null;
  ss58Prefix: number | null;
  genesisHash: string | null;
  /** The smallest balance an account may keep, in planck. */
  existentialDeposit: Planck | null;
  /** A node RPC (ws:// or wss://) a browser may use to compose a deposit; null: manual deposits only. */
  rpcUrl: string | null;
  escrowAddress: string | null;
}

/** GET /api/v1/me/deposits/:id (id = `<block hash>:<extrinsic index>`, as the chain names it). */
export type DepositStatusResponse = { id: string; credited: false } | { id: string; credited: true; amount: Planck; creditedAt: string };

/** What a withdrawal costs: `fee` is kept towards the network fee; an amount below `minimum` is refused. */
export interface WithdrawalQuote {
  fee: Planck;
  minimum: Planck;
}

export interface WithdrawalView {
  id: string;
  /** SS58 address the money goes to. */
  destination: string;
  /** What left the balance. */
  requested: Planck;
  fee: Planck;
  /** What the destination receives: requested − fee. */
  sent: Planck;
  /** pending/submitted: on its way, reserved; finalized: paid; failed/expired: nothing sent, the balance is back. */
  status: 'pending' | 'submitted' | 'finalized' | 'failed' | 'expired';
  txHash: string | null;
  blockNumber: number | null;
  error: string | null;
  createdAt: string;
}

/** GET /api/v1/me/withdrawals (and /admin/withdrawals for the platform's fee, with `treasuryAddress`). */
export interface WithdrawalsResponse {
  /** Balance that can be withdrawn now. */
  available: Planck;
  /** Reserved by withdrawals on their way. */
  inFlight: Planck;
  /** Null while withdrawals are unavailable, with the reason. */
  quote: WithdrawalQuote | null;
  unavailableReason?: string;
  /** Newest first. */
  withdrawals: WithdrawalView[];
  treasuryAddress?: string | null;
}

/** POST /api/v1/me/withdrawals: `requestId` is new per withdrawal; sending it again returns the same one. */
export interface WithdrawalRequestBody {
  amount: Planck;
  destination: string;
  requestId: string;
}

/** GET/PUT /api/v1/me/caps[?stream=]: a viewer's own spending caps, per UTC day. */
export interface SpendingCapsResponse {
  /** Planck a day across every stream; null: no cap. */
  perDay: Planck | null;
  /** Planck a day on any one stream; null: no cap. */
  perStream: Planck | null;
  spentToday: Planck;
  balance: Planck;
  /** With ?stream=: what may still be spent on it now, and what limits that. */
  stream?: { id: string; spentToday: Planck; spendable: Planck; limit: 'balance' | 'day_cap' | 'stream_cap' };
}

export interface WalletHistoryEntry {
  entryId: string;
  txnId: string;
  /** `deposit`: money in from chain; `watch`: seconds billed; `withdrawal`: money out to an address of yours; `tip`: a tip you sent in chat. */
  kind: 'watch' | 'deposit' | 'payout' | 'withdrawal' | 'tip';
  memo: string | null;
  /** Signed: positive raised the balance. */
  amount: SignedPlanck;
  createdAt: string;
}

export interface DepositInstructions {
  /** Where to send the transfer (SS58). */
  escrowAddress: string;
  /** The `system.remarkWithEvent` text to batch with the transfer; it names this account. */
  memo: string;
  amountHint?: Planck;
}

/** GET /api/v1/me/wallet[?limit=&before=] */
export interface WalletResponse {
  /** The account id (0x public key); the ledger's owner id. */
  account: string;
  address: string;
  /** Prepaid balance available for watching. */
  balance: Planck;
  /** Null when deposits are not offered, with `depositUnavailableReason` saying why. */
  deposit: DepositInstructions | null;
  depositUnavailableReason?: string;
  /** Newest first. */
  history: WalletHistoryEntry[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: string | null;
}

export interface StreamEarnings {
  streamId: string;
  /** Null when the stream is not in this platform's stream table. */
  title: string | null;
  /** Seconds billed (paid for by viewers). */
  seconds: number;
  windows: number;
  /** What viewers paid: billed seconds and tips sent on the stream. */
  gross: Planck;
  /** The creator's 90 %, rounded down per window and per tip. */
  creatorShare: Planck;
  lastSettledAt: string;
}

export interface EarningsBucket {
  /** Bucket start, ISO 8601 UTC. */
  start: string;
  seconds: number;
  /** Billed seconds and tips, as in StreamEarnings. */
  gross: Planck;
  creatorShare: Planck;
}

export type EarningsRange = '1h' | '6h' | '24h' | '7d' | '30d';

export interface PayoutView {
  batchId: string;
  status: 'pending' | 'submitted' | 'finalized' | 'failed' | 'expired';
  /** This creator's transfer in the batch. */
  amount: Planck;
  txHash: string | null;
  blockHash: string | null;
  blockNumber: number | null;
  explorerUrl?: string;
  merkleRoot: string | null;
  createdAt: string;
  settledAt: string | null;
}

/** GET /api/v1/me/earnings[?range=1h|6h|24h|7d|30d] */
export interface EarningsResponse {
  account: string;
  totals: {
    /** Earned, not yet in a payout batch. */
    pending: Planck;
    /** In a payout batch that is not final yet. */
    inPayout: Planck;
    /** Paid by finalized payouts. */
    paidOut: Planck;
    /** pending + inPayout + paidOut. */
    earned: Planck;
  };
  /** Most recently earning first. */
  streams: StreamEarnings[];
  /**
   * Earnings by when their windows were settled (a few seconds after they were watched),
   * every bucket of the range present, oldest first.
   */
  series: { range: EarningsRange; bucket: 'minute' | 'hour'; from: string; to: string; points: EarningsBucket[] };
  /** Newest first. */
  payouts: PayoutView[];
}

/**
 * One window's or tip's inclusion proof, exactly what `node chain/src/cli/verify-proof.ts` reads.
 * A tip's leaf has sessionId `tip:<tipId>` and window 0.
 */
export interface ProofFile {
  leaf: { sessionId: string; window: number; viewer: string; creator: string; amount: Planck };
  proof: { side: 'left' | 'right'; hash: string }[];
  root: string;
  /** Present once the payout is finalized: the block whose payout memo commits to `root`. */
  blockHash?: string;
  batchId: string;
}

/** GET /api/v1/me/proofs?batch=…[&offset=&limit=] (one file instead: ?session=&window= or ?tip=) */
export interface ProofBundle {
  batchId: string;
  status: PayoutView['status'];
  root: string;
  blockHash: string | null;
  /** How many of the batch's windows are the caller's (as viewer or creator). */
  total: number;
  offset: number;
  /** Each one a complete proof file. */
  proofs: ProofFile[];
}

export interface ReconcilerCheck {
  name: string;
  ok: boolean;
  expected?: unknown;
  actual?: unknown;
  detail?: unknown;
}

export interface ReconcilerRun {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  clean: boolean | null;
  escrowChain: SignedPlanck | null;
  escrowLedger: SignedPlanck | null;
  checks: ReconcilerCheck[];
}

export interface AdminPayoutBatch {
  batchId: string;
  status: PayoutView['status'];
  total: Planck;
  windowCount: number;
  creators: number;
  txHash: string | null;
  blockNumber: number | null;
  error: string | null;
  createdAt: string;
  settledAt: string | null;
}

/** GET /api/v1/admin/reconciler[?limit=] */
export interface ReconcilerResponse {
  /** False until the reconciler's table exists (its migration has not run here). */
  reconcilerInstalled: boolean;
  /** Newest first. */
  runs: ReconcilerRun[];
  payouts: {
    counts: Record<PayoutView['status'], number>;
    /** Newest first. */
    recent: AdminPayoutBatch[];
  };
}
