// The browser-side wallets produce signatures the server accepts: the dev wallet directly,
// and an injected extension through the standard API (faked here the way polkadot{.js}
// signs raw bytes: it wraps them in <Bytes>…</Bytes>).
import { Keyring } from '@polkadot/keyring';
import { hexToU8a, u8aToHex, u8aWrapBytes } from '@polkadot/util';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signatureMatches } from '@vilokanam/signaling/wallet';
import { shortAddress } from './address.ts';
import { DEV_WALLET_STORAGE_KEY, forgetDevWallet, openDevWallet, readDevWallet } from './devWallet.ts';
import { connectWallet, detectWallets } from './extensions.ts';

function memoryStore() {
  const map = new Map<string, string>();
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
    map,
  };
}

beforeAll(() => cryptoWaitReady());

describe('dev wallet', () => {
  it('creates a wallet once, remembers it, and signs what the server verifies', async () => {
    const store = memoryStore();
    expect(readDevWallet(store)).toBeNull();
    const wallet = await openDevWallet(store);
    expect(wallet.address).toMatch(/^5[1-9A-HJ-NP-Za-km-z]{47}$/);
    expect(wallet.mnemonic.split(' ')).toHaveLength(12);
    expect(readDevWallet(store)).toEqual({ mnemonic: wallet.mnemonic, address: wallet.address });

    const again = await openDevWallet(store);
    expect(again.address).toBe(wallet.address);
    // The same phrase is the same account in any polkadot-js based wallet.
    expect(new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromMnemonic(wallet.mnemonic).address).toBe(wallet.address);

    const message = 'Sign in to Vilokanam\nnonce: 00';
    const signature = await wallet.sign(message);
    expect(signatureMatches(message, signature, wallet.address)).toBe(true);
    expect(signatureMatches(`${message}!`, signature, wallet.address)).toBe(false);

    forgetDevWallet(store);
    expect(readDevWallet(store)).toBeNull();
  });

  it('discards unreadable storage instead of trusting it', async () => {
    const store = memoryStore();
    store.setItem(DEV_WALLET_STORAGE_KEY, '{broken');
    expect(readDevWallet(store)).toBeNull();
    store.setItem(DEV_WALLET_STORAGE_KEY, JSON.stringify({ mnemonic: 'not a real phrase', address: 'x' }));
    const wallet = await openDevWallet(store);
    expect(wallet.mnemonic).not.toBe('not a real phrase');
    expect(readDevWallet(store)?.address).toBe(wallet.address);
  });
});

describe('extension wallets', () => {
  afterEach(() => {
    delete (globalThis as { window?: unknown }).window;
  });

  it('signs through the injected API in a way the server accepts', async () => {
    const pair = new Keyring({ type: 'sr25519', ss58Format: 0 }).addFromMnemonic(mnemonicGenerate());
    let origin = '';
    (globalThis as { window?: unknown }).window = {
      injectedWeb3: {
        'polkadot-js': {
          async enable(o: string) {
            origin = o;
            return {
              accounts: { get: async () => [{ address: pair.address, name: 'Main', type: 'sr25519' }, { address: '0x12', type: 'ethereum' }] },
              signer: {
                signRaw: async (p: { address: string; data: string; type: string }) => ({
                  signature: u8aToHex(pair.sign(u8aWrapBytes(hexToU8a(p.data)))),
                }),
              },
            };
          },
        },
      },
    };
    expect(detectWallets()).toEqual([{ id: 'polkadot-js', name: 'polkadot{.js}' }]);
    const wallet = await connectWallet('polkadot-js');
    expect(origin).toBe('Vilokanam');
    expect(wallet.accounts.map((a) => a.address)).toEqual([pair.address]);
    const message = 'Sign in to Vilokanam\naddress: ✓ non-ASCII survives';
    expect(signatureMatches(message, await wallet.sign(pair.address, message), pair.address)).toBe(true);
  });
});

it('shortens addresses for display', () => {
  expect(shortAddress('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY')).toBe('5Grwva…utQY');
  expect(shortAddress('short')).toBe('short');
});
