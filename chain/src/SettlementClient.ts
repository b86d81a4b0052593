import { EventEmitter } from 'node:events';
import type { ApiPromise } from '@polkadot/api';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { ExtrinsicEra } from '@polkadot/types/interfaces';
import type { Logger } from 'pino';
import { buildPayoutCall, DEFAULT_WEIGHT_SHARE, fitsLimits, payoutLimits, weightOf } from './estimate.ts';
import { FinalizedChain, type BlockRef, type ChainBlock } from './FinalizedChain.ts';
import { accountBytes } from './merkle.ts';
import { BATCH_ID_RE, parsePayoutMemo, payoutMemo, remarkHash, remarksIn } from './memo.ts';
import { accountIs, eventsOf, extrinsicOutcome } from './outcome.ts';

export interface PayoutTransfer {
  /** SS58 address (any prefix) or 0x account id. */
  to: string;
  /** Planck; must keep a new recipient at or above the existential deposit. */
  amount: bigint;
}

export interface PayoutBatch {
  /** Unique per payout; 1-80 of [A-Za-z0-9._-]. */
  batchId: string;
  transfers: PayoutTransfer[];
  /** Root over the settled windows this payout pays for (see merkle.ts). */
  merkleRoot: Uint8Array;
}

export interface Inclusion {
  blockHash: `0x${string}`;
  blockNumber: number;
  extrinsicHash: `0x${string}`;
  extrinsicIndex: number;
  /** Planck the signer paid in fees. */
  fee: bigint;
}

/**
 * - finalized: in a finalized block and every transfer happened.
 * - failed, included: in a finalized block but dispatch failed (e.g. balances.InsufficientBalance);
 *   batchAll rolled every transfer back, only the fee was paid.
 * - failed, not included: the node refused the transaction (e.g. cannot pay the fee); nothing happened.
 * - expired: the mortal era ended with no inclusion in any finalized block; nothing happened and
 *   nothing can happen any more, so resubmitting is safe.
 * Only `finalized` moved money. After a crash, `resolvePayout` tells which case occurred.
 */
export type PayoutResult =
  | ({ status: 'finalized'; success: true } & Inclusion)
  | ({ status: 'failed'; error: string; included: true } & Inclusion)
  | { status: 'failed'; error: string; included: false }
  | { status: 'expired'; extrinsicHash: `0x${string}`; deathBlock: number };

export interface PayoutOnChain {
  blockHash: `0x${string}`;
  blockNumber: number;
  extrinsicIndex: number;
  extrinsicHash: `0x${string}`;
  success: boolean;
  rootHex: `0x${string}`;
  /** Planck the signer paid for this extrinsic, whatever its outcome. */
  fee: bigint;
  error?: string;
}

export interface SettlementClientEvents {
  submitted: [{ batchId: string; extrinsicHash: `0x${string}`; nonce: number; signedAt: number; deathBlock: number }];
  result: [{ batchId: string; result: PayoutResult }];
}

export interface SettlementClientOptions {
  api: ApiPromise;
  signer: KeyringPair;
  log: Logger;
  /** Mortality in blocks (rounded up to a power of two, at least 4). Default 64. */
  eraPeriod?: number;
  /** Share of the max extrinsic weight one payout may use; bigger batches are refused. */
  weightShare?: number;
  pollMs?: number;
}

/**
 * Pays creators from the custodial escrow account. Every payout is ONE mortal
 * utility.batchAll of transfers plus a memo remark, so it lands whole or not at all, and its
 * outcome is decided by finalized blocks alone. Submissions are serialized and the client owns
 * the signer's nonce; run one client per signer.
 */
export class SettlementClient extends EventEmitter<SettlementClientEvents> {
  readonly #api: ApiPromise;
  readonly #signer: KeyringPair;
  readonly #signerKey: Uint8Array;
  readonly #log: Logger;
  readonly #eraPeriod: number;
  readonly #weightShare: number;
  readonly #chain: FinalizedChain;
  #nonce: number | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: SettlementClientOptions) {
    super();
    this.#api = opts.api;
    this.#signer = opts.signer;
    this.#signerKey = opts.signer.publicKey;
    this.#log = opts.log.child({ component: 'settlement-client', signer: opts.signer.address });
    this.#eraPeriod = opts.eraPeriod ?? 64;
    this.#weightShare = opts.weightShare ?? DEFAULT_WEIGHT_SHARE;
    this.#chain = new FinalizedChain(opts.api, opts.pollMs === undefined ? {} : { pollMs: opts.pollMs });
  }

  get address(): string {
    return this.#signer.address;
  }

  /** The finalized head; a payout signed after reading it can only land in a later block. */
  finalizedHead(): Promise<BlockRef> {
    return this.#chain.head();
  }

  /** Free balance at the best block, planck. */
  async balanceOf(address: string): Promise<bigint> {
    const account = (await this.#api.query.system!.account!(address)) as unknown as { data: { free: { toString(): string } } };
    return BigInt(account.data.free.toString());
  }

  /**
   * Submits one payout and resolves once its fate is final (see PayoutResult). Throws, without
   * submitting, on invalid input or a batch too big for one extrinsic; split it with
   * `splitPayoutBatch` and pay each part under its own batch id.
   */
  async submitPayoutBatch(batch: PayoutBatch): Promise<PayoutResult> {
    validateBatch(batch);
    const run = this.#queue.then(() => this.#submit(batch));
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * Finds the payout `batchId` in finalized blocks from `fromBlock` to the finalized head, counting
   * only extrinsics signed by this client's signer. Returns the successful one if any, else the
   * last failed attempt, else null (then it never landed: after its era, resubmit).
   */
  async findPayoutOnChain(batchId: string, fromBlock: number): Promise<PayoutOnChain | null> {
    const head = await this.#chain.head();
    let failed: PayoutOnChain | null = null;
    for await (const block of this.#chain.blocks(Math.max(1, fromBlock), head.number)) {
      for (let i = 0; i < block.extrinsics.length; i++) {
        const ext = block.extrinsics[i]!;
        if (!ext.isSigned || !accountIs(ext.signer, this.#signerKey)) continue;
        const memo = remarksIn(ext.method).find((text) => parsePayoutMemo(text)?.batchId === batchId);
        if (memo === undefined) continue;
        const found = await this.#describe(block, i, memo);
        if (found.success) return found;
        failed = found;
      }
    }
    return failed;
  }

  /**
   * For crash recovery: like findPayoutOnChain, but when there is no success yet it first waits
   * until any attempt signed before this call has passed its era (head + era period), so a
   * null or failed answer is final and resubmitting is safe. When the caller recorded the only
   * attempt's `deathBlock` (the `submitted` event), waiting for that block is enough.
   */
  async resolvePayout(batchId: string, fromBlock: number, opts: { deathBlock?: number } = {}): Promise<PayoutOnChain | null> {
    const head = await this.#chain.head();
    const found = await this.findPayoutOnChain(batchId, fromBlock);
    if (found?.success) return found;
    // Any earlier attempt was signed at or below `head`, so it dies by head + period.
    const period = (this.#api.registry.createType('ExtrinsicEra', { current: 0, period: this.#eraPeriod }) as ExtrinsicEra).asMortalEra.period.toNumber();
    const until = opts.deathBlock ?? head.number + period;
    if (head.number >= until) return found;
    await this.#chain.waitForHead(until);
    return this.findPayoutOnChain(batchId, fromBlock);
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.#chain.close();
  }

  async #submit(batch: PayoutBatch): Promise<PayoutResult> {
    const api = this.#api;
    const log = this.#log.child({ batchId: batch.batchId });
    const tx = buildPayoutCall(api, batch.batchId, batch.transfers, batch.merkleRoot);

    const limits = payoutLimits(api);
    const info = await tx.paymentInfo(this.#signer.address);
    const weight = weightOf(info.weight);
    // Length before signing plus a generous allowance for signature and extensions.
    if (!fitsLimits(weight, tx.encodedLength + 256, batch.transfers.length + 1, limits, this.#weightShare)) {
      throw new Error(`payout batch too large for one extrinsic: ${batch.transfers.length} transfers, weight ${weight.refTime}`);
    }

    this.#nonce ??= (await api.rpc.system.accountNextIndex(this.#signer.address)).toNumber();
    const nonce = this.#nonce;
    // Sign against the finalized head: the era's birth block can then never be reorganised away.
    const head = await this.#chain.head();
    const era = api.registry.createType('ExtrinsicEra', { current: head.number, period: this.#eraPeriod }) as ExtrinsicEra;
    const deathBlock = era.asMortalEra.death(head.number);
    const signed = await tx.signAsync(this.#signer, { era, blockHash: head.hash, nonce });
    const extrinsicHash = signed.hash.toHex();
    log.info({ extrinsicHash, nonce, transfers: batch.transfers.length, signedAt: head.number, deathBlock }, 'submitting payout');
    this.emit('submitted', { batchId: batch.batchId, extrinsicHash, nonce, signedAt: head.number, deathBlock });

    try {
      await api.rpc.author.submitExtrinsic(signed);
    } catch (err) {
      if (isPoolRejection(err)) {
        // Never entered a pool, so the nonce is unused; re-read it in case someone else moved it.
        this.#nonce = undefined;
        const error = (err as Error).message;
        log.warn({ error }, 'payout refused by node');
        return this.#done(batch.batchId, { status: 'failed', error, included: false });
      }
      // Transport trouble: the node may still have it, so only the era can tell.
      log.warn({ err }, 'payout submission uncertain; watching until its era ends');
    }

    const found = await this.#awaitInclusion(extrinsicHash, head.number + 1, deathBlock);
    if (!found) {
      // Nonce stays: nothing used it.
      log.warn({ extrinsicHash, deathBlock }, 'payout expired unincluded');
      return this.#done(batch.batchId, { status: 'expired', extrinsicHash, deathBlock });
    }
    this.#nonce = nonce + 1;
    const d = await this.#describe(found.block, found.index, payoutMemo(batch.batchId, batch.merkleRoot));
    const inclusion: Inclusion = { blockHash: d.blockHash, blockNumber: d.blockNumber, extrinsicHash, extrinsicIndex: d.extrinsicIndex, fee: found.fee };
    const result: PayoutResult = d.success
      ? { status: 'finalized', success: true, ...inclusion }
      : { status: 'failed', error: d.error ?? 'dispatch failed', included: true, ...inclusion };
    log.info({ status: result.status, blockNumber: d.blockNumber, fee: found.fee.toString(), error: d.error }, 'payout final');
    return this.#done(batch.batchId, result);
  }

  #done(batchId: string, result: PayoutResult): PayoutResult {
    this.emit('result', { batchId, result });
    return result;
  }

  /** Scans finalized blocks until the extrinsic shows up or its era has passed. */
  async #awaitInclusion(hash: string, from: number, deathBlock: number): Promise<{ block: ChainBlock; index: number; fee: bigint } | null> {
    let next = from;
    for (;;) {
      const head = await this.#chain.waitForHead(next);
      for await (const block of this.#chain.blocks(next, head.number)) {
        next = block.number + 1;
        const index = block.extrinsics.findIndex((x) => x.hash.toHex() === hash);
        if (index >= 0) return { block, index, fee: extrinsicOutcome(await block.events(), index, this.#signerKey).fee };
      }
      // Valid only in blocks below deathBlock, and all of those are now final and scanned.
      if (head.number >= deathBlock) return null;
    }
  }

  /** Success means dispatch succeeded and the memo's Remarked event came from our signer. */
  async #describe(block: ChainBlock, index: number, memo: string): Promise<PayoutOnChain> {
    const events = await block.events();
    const outcome = extrinsicOutcome(events, index, this.#signerKey);
    const hash = remarkHash(memo);
    const remarked = eventsOf(events, index).some(
      ({ event }) => event.section === 'system' && event.method === 'Remarked' && accountIs(event.data[0]!, this.#signerKey) && event.data[1]!.toHex() === hash,
    );
    const success = outcome.success && remarked;
    const out: PayoutOnChain = {
      blockHash: block.hash,
      blockNumber: block.number,
      extrinsicIndex: index,
      extrinsicHash: block.extrinsics[index]!.hash.toHex(),
      success,
      rootHex: parsePayoutMemo(memo)!.rootHex,
      fee: outcome.fee,
    };
    if (!success) out.error = outcome.error ?? 'memo remark missing';
    return out;
  }
}

/** Splits a payout into parts of at most `max` transfers, ids `<batchId>.<i>`, same root. */
export function splitPayoutBatch(batch: PayoutBatch, max: number): PayoutBatch[] {
  if (!Number.isInteger(max) || max < 1) throw new Error('max must be a positive integer');
  if (batch.transfers.length <= max) return [batch];
  const parts: PayoutBatch[] = [];
  for (let i = 0; i * max < batch.transfers.length; i++) {
    parts.push({ batchId: `${batch.batchId}.${i}`, transfers: batch.transfers.slice(i * max, (i + 1) * max), merkleRoot: batch.merkleRoot });
  }
  validateBatch(parts[parts.length - 1]!);
  return parts;
}

const U128_MAX = (1n << 128n) - 1n;

function validateBatch(batch: PayoutBatch): void {
  if (!BATCH_ID_RE.test(batch.batchId)) throw new Error('batchId: 1-80 of [A-Za-z0-9._-]');
  if (!(batch.merkleRoot instanceof Uint8Array) || batch.merkleRoot.length !== 32) throw new Error('merkleRoot: must be 32 bytes');
  if (batch.transfers.length === 0) throw new Error('payout batch has no transfers');
  for (const [i, t] of batch.transfers.entries()) {
    accountBytes(t.to, `transfers[${i}].to`);
    if (typeof t.amount !== 'bigint' || t.amount <= 0n || t.amount > U128_MAX) throw new Error(`transfers[${i}].amount: must be a positive u128 bigint`);
  }
}

/** A JSON-RPC error from the pool means the node did not take the transaction. */
function isPoolRejection(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  // 1013 "already imported": it IS in the pool.
  return typeof code === 'number' && code !== 1013 && ((code >= 1001 && code <= 1002) || (code >= 1010 && code <= 1020));
}
