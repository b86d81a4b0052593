// A throwaway sr25519 wallet kept in this browser, for trying the platform without an
// extension. The secret phrase sits in localStorage unencrypted, which is why the sign-in
// page says so, and why it must never hold real funds.
import { z } from 'zod';
import { readStoredJson, type KeyValueStore } from '../storage.ts';

export const DEV_WALLET_STORAGE_KEY = 'vilo.devWallet.v1';
/** Generic Substrate: the server's default too, so the header shows the same string. */
const SS58_PREFIX = 42;

const Stored = z.object({ mnemonic: z.string().min(1), address: z.string().min(1) });
export type StoredDevWallet = z.infer<typeof Stored>;

/** The remembered wallet, without loading any crypto (the page shows its address at once). */
export function readDevWallet(store: KeyValueStore = localStorage): StoredDevWallet | null {
  return readStoredJson(store, DEV_WALLET_STORAGE_KEY, Stored);
}

export function forgetDevWallet(store: KeyValueStore = localStorage): void {
  store.removeItem(DEV_WALLET_STORAGE_KEY);
}

// Loaded on demand: the crypto (with its wasm) is only needed on the sign-in page.
async function crypto() {
  const [utilCrypto, util] = await Promise.all([import('@polkadot/util-crypto'), import('@polkadot/util')]);
  await utilCrypto.cryptoWaitReady();
  return { ...utilCrypto, ...util };
}

export interface DevWallet {
  address: string;
  mnemonic: string;
  /** Signs like a browser extension does: the UTF-8 message wrapped in <Bytes>…</Bytes>. */
  sign(message: string): Promise<string>;
}

/**
 * Opens the remembered wallet, or creates and remembers a new one. The key derivation is the
 * one polkadot-js uses for a bare mnemonic, so the phrase imports into any wallet as the
 * same account.
 */
export async function openDevWallet(store: KeyValueStore = localStorage): Promise<DevWallet> {
  const c = await crypto();
  const stored = readDevWallet(store);
  const mnemonic = stored && c.mnemonicValidate(stored.mnemonic) ? stored.mnemonic : c.mnemonicGenerate(12);
  const pair = c.sr25519PairFromSeed(c.mnemonicToMiniSecret(mnemonic));
  const address = c.encodeAddress(pair.publicKey, SS58_PREFIX);
  if (stored?.mnemonic !== mnemonic || stored.address !== address) {
    store.setItem(DEV_WALLET_STORAGE_KEY, JSON.stringify({ mnemonic, address }));
  }
  return {
    address,
    mnemonic,
    async sign(message) {
      return c.u8aToHex(c.sr25519Sign(c.u8aWrapBytes(c.stringToU8a(message)), pair));
    },
  };
}
