// The refusal a viewer reads when a paid session cannot start: the join and the token request say the same.
import type { Spendable } from '@vilokanam/settlement';

/** Why a paid session cannot start: the balance, or the viewer's own spending cap. */
export function notEnough(spendable: Spendable, needed: bigint, seconds: number): string {
  if (spendable.limit === 'day_cap') return `your daily spending cap is reached: it leaves ${spendable.amount} planck, and watching needs ${needed} (${seconds} s); change it in your wallet`;
  if (spendable.limit === 'stream_cap') return `your spending cap for this stream today is reached: it leaves ${spendable.amount} planck, and watching needs ${needed} (${seconds} s); change it in your wallet`;
  return `top up first: watching needs at least ${needed} planck (${seconds} s)`;
}
