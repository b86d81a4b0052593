import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, encodeAddress, randomAsU8a } from '@polkadot/util-crypto';
import { payoutMemo } from './memo.ts';

/**
 * Share of the runtime's per-extrinsic weight (normal class) one payout may use. Leaving the
 * rest means a payout still fits in a block that already carries other transactions.
 */
export const DEFAULT_WEIGHT_SHARE = 0.75;

export interface Weight {
  refTime: bigint;
  /** Null on runtimes with one-dimensional weights (statemine 900). */
  proofSize: bigint | null;
}

export interface PayoutLimits {
  /** Normal-class max extrinsic weight minus the base extrinsic weight. */
  maxCallWeight: Weight;
  /** Normal-class block length, bytes. */
  maxLength: number;
  /** utility.batchedCallsLimit; the memo remark counts as one call. */
  batchedCallsLimit: number;
}

export interface PayoutEstimate {
  transfers: number;
  /** Bytes of the signed extrinsic. */
  encodedLength: number;
  weight: Weight;
  /** Fee without tip, planck, from transactionPaymentApi.queryInfo. */
  partialFee: bigint;
  limits: PayoutLimits;
  weightShare: number;
  fits: boolean;
}

type Submittable = SubmittableExtrinsic<'promise'>;

/** Reads either weight shape: a bare u64 (V1) or { refTime, proofSize } (V2). */
export function weightOf(value: unknown): Weight {
  const v = value as { refTime?: { toString(): string }; proofSize?: { toString(): string }; toString(): string };
  if (v.refTime !== undefined) {
    return { refTime: BigInt(v.refTime.toString()), proofSize: v.proofSize !== undefined ? BigInt(v.proofSize.toString()) : null };
  }
  return { refTime: BigInt(v.toString()), proofSize: null };
}

export function payoutLimits(api: ApiPromise): PayoutLimits {
  const consts = api.consts as unknown as Record<string, Record<string, unknown>>;
  const bw = consts.system!.blockWeights as { perClass: { normal: { maxExtrinsic: { unwrap(): unknown; isSome: boolean }; baseExtrinsic: unknown } }; maxBlock: unknown };
  const normal = bw.perClass.normal;
  const max = weightOf(normal.maxExtrinsic.isSome ? normal.maxExtrinsic.unwrap() : bw.maxBlock);
  const base = weightOf(normal.baseExtrinsic);
  const length = consts.system!.blockLength as { max: { normal: { toNumber(): number } } };
  const limit = consts.utility!.batchedCallsLimit as { toNumber(): number };
  return {
    maxCallWeight: {
      refTime: max.refTime - base.refTime,
      proofSize: max.proofSize === null ? null : max.proofSize - (base.proofSize ?? 0n),
    },
    maxLength: length.max.normal.toNumber(),
    batchedCallsLimit: limit.toNumber(),
  };
}

/** Whether a call of this weight and signed length fits the limits at the given share. */
export function fitsLimits(weight: Weight, encodedLength: number, calls: number, limits: PayoutLimits, share = DEFAULT_WEIGHT_SHARE): boolean {
  const scaled = (x: bigint): bigint => (x * BigInt(Math.round(share * 1_000_000))) / 1_000_000n;
  if (weight.refTime > scaled(limits.maxCallWeight.refTime)) return false;
  if (weight.proofSize !== null && limits.maxCallWeight.proofSize !== null && weight.proofSize > scaled(limits.maxCallWeight.proofSize)) return false;
  return encodedLength <= limits.maxLength && calls <= limits.batchedCallsLimit;
}

/** The payout extrinsic, unsigned: transfers first, then the memo, all or nothing. */
export function buildPayoutCall(api: ApiPromise, batchId: string, transfers: readonly { to: string; amount: bigint }[], merkleRoot: Uint8Array): Submittable {
  const calls = transfers.map((t) => api.tx.balances!.transferKeepAlive!(t.to, t.amount));
  calls.push(api.tx.system!.remarkWithEvent!(payoutMemo(batchId, merkleRoot)));
  return api.tx.utility!.batchAll!(calls);
}

/**
 * Size, weight and fee of a payout to `n` fresh accounts, signed by a throwaway key so the
 * length is exact. Transfers to new accounts are the expensive case.
 */
export async function estimatePayoutBatch(api: ApiPromise, n: number, opts: { amount?: bigint; weightShare?: number } = {}): Promise<PayoutEstimate> {
  await cryptoWaitReady();
  const amount = opts.amount ?? 10_000_000_000n;
  const transfers = Array.from({ length: n }, () => ({ to: encodeAddress(randomAsU8a(32), api.registry.chainSS58 ?? 42), amount }));
  const tx = buildPayoutCall(api, 'estimate-0000000000', transfers, new Uint8Array(32));
  const payer = new Keyring({ type: 'sr25519' }).addFromSeed(randomAsU8a(32));
  const info = await tx.paymentInfo(payer.address);
  const signed = await tx.signAsync(payer, { nonce: 0 });
  const weight = weightOf(info.weight);
  const limits = payoutLimits(api);
  const share = opts.weightShare ?? DEFAULT_WEIGHT_SHARE;
  return {
    transfers: n,
    encodedLength: signed.encodedLength,
    weight,
    partialFee: info.partialFee.toBigInt(),
    limits,
    weightShare: share,
    fits: fitsLimits(weight, signed.encodedLength, n + 1, limits, share),
  };
}

/**
 * Largest payout that fits one extrinsic, from two estimates (weight and length grow linearly
 * with the number of transfers). Use it to split big settlements with `splitPayoutBatch`.
 */
export async function maxTransfersPerExtrinsic(api: ApiPromise, weightShare = DEFAULT_WEIGHT_SHARE): Promise<number> {
  const [one, many] = await Promise.all([estimatePayoutBatch(api, 1, { weightShare }), estimatePayoutBatch(api, 21, { weightShare })]);
  const limits = one.limits;
  const share = BigInt(Math.round(weightShare * 1_000_000));
  const perRef = (many.weight.refTime - one.weight.refTime) / 20n;
  const baseRef = one.weight.refTime - perRef;
  let best = Math.floor(Number(((limits.maxCallWeight.refTime * share) / 1_000_000n - baseRef) / perRef));
  if (one.weight.proofSize !== null && many.weight.proofSize !== null && limits.maxCallWeight.proofSize !== null) {
    const perPov = (many.weight.proofSize - one.weight.proofSize) / 20n;
    if (perPov > 0n) {
      const basePov = one.weight.proofSize - perPov;
      best = Math.min(best, Math.floor(Number(((limits.maxCallWeight.proofSize * share) / 1_000_000n - basePov) / perPov)));
    }
  }
  const perByte = (many.encodedLength - one.encodedLength) / 20;
  best = Math.min(best, Math.floor((limits.maxLength - (one.encodedLength - perByte)) / perByte));
  return Math.max(0, Math.min(best, limits.batchedCallsLimit - 1));
}

/** A withdrawal's batch id has this length (`w-` and a uuid); the fee depends on the memo's length. */
const WITHDRAWAL_ID_SHAPE = 'w-00000000-0000-0000-0000-000000000000';

/**
 * The network fee of one withdrawal: a payout of a single transfer with its memo, signed by the
 * escrow. What the platform charges the withdrawer towards it.
 */
export async function estimateWithdrawalFee(api: ApiPromise, escrow: string): Promise<bigint> {
  await cryptoWaitReady();
  const to = encodeAddress(randomAsU8a(32), api.registry.chainSS58 ?? 42);
  const tx = buildPayoutCall(api, WITHDRAWAL_ID_SHAPE, [{ to, amount: 10_000_000_000n }], new Uint8Array(32));
  const info = await tx.paymentInfo(escrow);
  return info.partialFee.toBigInt();
}
