import type { Codec } from '@polkadot/types/types';
import type { DispatchError, EventRecord } from '@polkadot/types/interfaces';
import { u8aEq } from '@polkadot/util';
import { decodeAddress } from '@polkadot/util-crypto';

export interface ExtrinsicOutcome {
  success: boolean;
  /** `pallet.Error` for module errors, the variant name otherwise. */
  error?: string;
  /** What the payer was charged, planck. */
  fee: bigint;
}

/** Events emitted while applying extrinsic `index` of a block. */
export function eventsOf(events: readonly EventRecord[], index: number): EventRecord[] {
  return events.filter((r) => r.phase.isApplyExtrinsic && r.phase.asApplyExtrinsic.toNumber() === index);
}

export function accountIs(value: Codec, account: Uint8Array): boolean {
  try {
    return u8aEq(decodeAddress(value.toString()), account);
  } catch {
    return false;
  }
}

export function amountOf(value: Codec): bigint {
  return BigInt(value.toString());
}

export function describeDispatchError(err: DispatchError): string {
  if (err.isModule) {
    try {
      const meta = err.registry.findMetaError(err.asModule);
      return `${meta.section}.${meta.name}`;
    } catch {
      return `module ${err.asModule.index.toString()} error ${err.asModule.error.toHex()}`;
    }
  }
  // Token, Arithmetic and friends carry their detail as an inner enum.
  const inner = (err.value as unknown as { type?: string }).type;
  return inner ? `${err.type}.${inner}` : err.type;
}

/**
 * Success and fee of one applied extrinsic. The fee comes from TransactionFeePaid where the
 * runtime emits it; older runtimes like statemine 900 only show it as the payer's
 * Balances.Withdraw minus any Balances.Deposit refund in the same phase.
 */
export function extrinsicOutcome(events: readonly EventRecord[], index: number, payer: Uint8Array): ExtrinsicOutcome {
  const mine = eventsOf(events, index);
  let success: boolean | undefined;
  let error: string | undefined;
  let paid: bigint | undefined;
  let withdrawn = 0n;
  let refunded = 0n;
  for (const { event } of mine) {
    const key = `${event.section}.${event.method}`;
    if (key === 'system.ExtrinsicSuccess') success = true;
    else if (key === 'system.ExtrinsicFailed') {
      success = false;
      error = describeDispatchError(event.data[0] as DispatchError);
    } else if ((key === 'transactionPayment.TransactionFeePaid' || key === 'assetTxPayment.AssetTxFeePaid') && accountIs(event.data[0]!, payer)) {
      paid = (paid ?? 0n) + amountOf(event.data[1]!) + amountOf(event.data[2]!);
    } else if (key === 'balances.Withdraw' && accountIs(event.data[0]!, payer)) withdrawn += amountOf(event.data[1]!);
    else if (key === 'balances.Deposit' && accountIs(event.data[0]!, payer)) refunded += amountOf(event.data[1]!);
  }
  if (success === undefined) throw new Error(`extrinsic ${index}: no ExtrinsicSuccess or ExtrinsicFailed event`);
  const fee = paid ?? withdrawn - refunded;
  return error === undefined ? { success, fee } : { success, error, fee };
}
