// Browser extension wallets (polkadot{.js}, Talisman, SubWallet) through the standard
// injected API they all put on window.injectedWeb3, without a wrapper library.
import { t } from '#lib/i18n/index.ts';

export interface InjectedAccount {
  address: string;
  name?: string;
  /** sr25519, ed25519, ecdsa or ethereum; the last has no SS58 address to sign in with. */
  type?: string;
}

interface InjectedExtension {
  accounts: { get(anyType?: boolean): Promise<InjectedAccount[]> };
  signer: {
    signRaw?(payload: { address: string; data: string; type: 'bytes' }): Promise<{ signature: string }>;
  };
}

interface InjectedProvider {
  enable(origin: string): Promise<InjectedExtension>;
  version?: string;
}

declare global {
  interface Window {
    injectedWeb3?: Record<string, InjectedProvider>;
  }
}

const NAMES: Record<string, string> = {
  'polkadot-js': 'polkadot{.js}',
  talisman: 'Talisman',
  'subwallet-js': 'SubWallet',
};

export interface WalletChoice {
  id: string;
  name: string;
}

/** Installed wallets. Extensions inject after load, so callers ask again a moment later. */
export function detectWallets(): WalletChoice[] {
  const injected = typeof window === 'undefined' ? undefined : window.injectedWeb3;
  return Object.keys(injected ?? {}).map((id) => ({ id, name: NAMES[id] ?? id }));
}

export interface ConnectedWallet {
  accounts: InjectedAccount[];
  sign(address: string, message: string): Promise<string>;
}

/** Asks the wallet for access (it shows its own prompt the first time) and lists accounts. */
export async function connectWallet(id: string): Promise<ConnectedWallet> {
  const provider = window.injectedWeb3?.[id];
  if (!provider) throw new Error(t('errors.walletGone'));
  const extension = await provider.enable('Vilokanam');
  const accounts = (await extension.accounts.get()).filter((a) => a.type !== 'ethereum' && !a.address.startsWith('0x'));
  const signRaw = extension.signer.signRaw?.bind(extension.signer);
  return {
    accounts,
    async sign(address, message) {
      if (!signRaw) throw new Error(t('errors.cannotSign'));
      // The wallet wraps the bytes in <Bytes>…</Bytes> before signing; the server accepts that.
      const { signature } = await signRaw({ address, data: utf8Hex(message), type: 'bytes' });
      return signature;
    },
  };
}

/** What @polkadot/util's stringToHex does, without loading it on pages that do not sign. */
function utf8Hex(text: string): string {
  let hex = '0x';
  for (const byte of new TextEncoder().encode(text)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
