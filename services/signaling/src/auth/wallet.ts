// Address and signature checks, the only place the server touches Polkadot crypto.
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress, encodeAddress, isEthereumAddress, signatureVerify } from '@polkadot/util-crypto';

export interface WalletKey {
  /** 32-byte public key (account id), lowercase 0x hex. */
  id: string;
  /** The key as SS58 with the platform's prefix. */
  address: string;
}

/**
 * Accepts SS58 with any prefix and a valid checksum. Raw hex and Ethereum-style addresses
 * are refused: a wallet always shows SS58, and anything else is a client bug.
 */
export function parseAddress(input: string, ss58Prefix: number): WalletKey | undefined {
  if (input.startsWith('0x') || isEthereumAddress(input)) return undefined;
  let key: Uint8Array;
  try {
    key = decodeAddress(input);
  } catch {
    return undefined;
  }
  // Short (index) addresses decode to fewer bytes; only full account ids can sign.
  if (key.length !== 32) return undefined;
  return { id: u8aToHex(key), address: encodeAddress(key, ss58Prefix) };
}

/**
 * True if `signature` signs `message` with the key behind `address`, with sr25519, ed25519
 * or ecdsa, over the raw bytes or the `<Bytes>…</Bytes>` wrapping that extensions apply.
 */
export function signatureMatches(message: string, signature: string, address: string): boolean {
  try {
    // Passed as bytes: util-crypto would read a string that starts with 0x as hex.
    return signatureVerify(new TextEncoder().encode(message), signature, address).isValid;
  } catch {
    return false;
  }
}

/** The wasm backends are optional (pure-JS fallbacks exist) but much faster once loaded. */
export async function walletCryptoReady(): Promise<void> {
  await cryptoWaitReady();
}
