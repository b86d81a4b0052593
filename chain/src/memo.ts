import type { Bytes, Vec } from '@polkadot/types';
import type { AnyTuple, CallBase } from '@polkadot/types/types';
import { u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';

type Call = CallBase<AnyTuple>;

/**
 * On-chain memos, carried in `system.remarkWithEvent` inside the same `utility.batchAll` as the
 * transfers they describe, so a memo exists exactly when its transfers happened.
 *
 *   payout:  vilokanam:payout:v1:<batchId>:<0x merkle root, 64 lowercase hex>
 *   deposit: vilokanam:deposit:v1:<platform account>
 */
export const PAYOUT_PREFIX = 'vilokanam:payout:v1:';
export const DEPOSIT_PREFIX = 'vilokanam:deposit:v1:';

/** Batch ids appear inside the memo, so they may not contain ':' or whitespace. */
export const BATCH_ID_RE = /^[A-Za-z0-9._-]{1,80}$/;
export const MEMO_ACCOUNT_RE = /^[A-Za-z0-9._:@-]{1,128}$/;

const ROOT_RE = /^0x[0-9a-f]{64}$/;
const BATCH_CALLS = new Set(['batch', 'batchAll', 'forceBatch']);
const REMARKS = new Set(['remark', 'remarkWithEvent']);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function payoutMemo(batchId: string, merkleRoot: Uint8Array): string {
  if (!BATCH_ID_RE.test(batchId)) throw new Error('batchId: 1-80 of [A-Za-z0-9._-]');
  if (merkleRoot.length !== 32) throw new Error('merkleRoot: must be 32 bytes');
  return `${PAYOUT_PREFIX}${batchId}:${u8aToHex(merkleRoot)}`;
}

export function parsePayoutMemo(text: string): { batchId: string; rootHex: `0x${string}` } | null {
  if (!text.startsWith(PAYOUT_PREFIX)) return null;
  const rest = text.slice(PAYOUT_PREFIX.length);
  const colon = rest.lastIndexOf(':');
  if (colon < 0) return null;
  const batchId = rest.slice(0, colon);
  const rootHex = rest.slice(colon + 1);
  if (!BATCH_ID_RE.test(batchId) || !ROOT_RE.test(rootHex)) return null;
  return { batchId, rootHex: rootHex as `0x${string}` };
}

export function depositMemo(account: string): string {
  if (!MEMO_ACCOUNT_RE.test(account)) throw new Error('deposit account: 1-128 of [A-Za-z0-9._:@-]');
  return `${DEPOSIT_PREFIX}${account}`;
}

/** The platform account named by a deposit memo, or null if the text is not a valid one. */
export function parseDepositMemo(text: string): string | null {
  if (!text.startsWith(DEPOSIT_PREFIX)) return null;
  const account = text.slice(DEPOSIT_PREFIX.length);
  return MEMO_ACCOUNT_RE.test(account) ? account : null;
}

/** What `system.Remarked` carries instead of the text. */
export function remarkHash(text: string): `0x${string}` {
  return blake2AsHex(new TextEncoder().encode(text), 256);
}

/** The call and, through utility batches, every call inside it. */
export function* walkCalls(call: Call): Generator<Call> {
  yield call;
  if (call.section === 'utility' && BATCH_CALLS.has(call.method)) {
    for (const inner of call.args[0] as Vec<Call>) yield* walkCalls(inner);
  }
}

/** UTF-8 texts of the remarks in a call tree; binary remarks are skipped. */
export function remarksIn(call: Call): string[] {
  const out: string[] = [];
  for (const c of walkCalls(call)) {
    if (c.section !== 'system' || !REMARKS.has(c.method)) continue;
    try {
      out.push(strictUtf8.decode((c.args[0] as Bytes).toU8a(true)));
    } catch {
      // not text, so not ours
    }
  }
  return out;
}
