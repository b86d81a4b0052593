// Addresses are long; people recognise them by both ends.

/** "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY" → "5Grwva…utQY". */
export function shortAddress(address: string): string {
  return address.length <= 13 ? address : `${address.slice(0, 6)}…${address.slice(-4)}`;
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/**
 * The account id (the 32-byte public key as 0x hex, what the API's account routes take) inside an
 * SS58 address: base58 of a 1- or 2-byte network prefix, the key and a 2-byte checksum. The
 * address comes from our own server, so the checksum is not checked here; null if it is no SS58.
 */
export function accountIdOf(address: string): string | null {
  let n = 0n;
  for (const ch of address) {
    const digit = BASE58.indexOf(ch);
    if (digit < 0) return null;
    n = n * 58n + BigInt(digit);
  }
  const hex = n.toString(16);
  const bytes = (hex.length % 2 ? `0${hex}` : hex).match(/../g) ?? [];
  const leadingZeros = address.match(/^1*/)?.[0].length ?? 0;
  const all = [...Array<string>(leadingZeros).fill('00'), ...bytes];
  // 35 bytes with a one-byte prefix (networks 0–63), 36 with a two-byte one.
  const prefix = all.length === 35 ? 1 : all.length === 36 ? 2 : 0;
  return prefix ? `0x${all.slice(prefix, prefix + 32).join('')}` : null;
}
