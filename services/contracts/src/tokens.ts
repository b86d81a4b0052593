// Planck as a token amount with every digit kept ("7.2", "-0.000000000063"): what exports and
// inputs carry, shared by the pages, the statement export and the tests that type a price.

/** Every digit, no grouping, no trailing zeros: parsing it back gives the same planck. */
export function planckToTokens(planck: bigint, decimals: number): string {
  const negative = planck < 0n;
  const abs = negative ? -planck : planck;
  const unit = 10n ** BigInt(decimals);
  const fraction = (abs % unit).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${abs / unit}${fraction ? `.${fraction}` : ''}`;
}
