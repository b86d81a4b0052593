import type { ApiPromise } from '@polkadot/api';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, encodeAddress, mnemonicGenerate, randomAsU8a } from '@polkadot/util-crypto';
import pino from 'pino';
import { connectApi } from '../api.ts';
import { DevChain, type DevChainOptions } from '../DevChain.ts';

export const ROC = 1_000_000_000_000n;
export const quietLog = pino({ level: process.env.VILO_TEST_LOG_LEVEL ?? 'silent' });

export interface ChainFixture {
  chain: DevChain;
  api: ApiPromise;
  close(): Promise<void>;
}

/** A real chopsticks chain for a test file. No skip path: if it cannot start, the file fails. */
export async function startChain(opts: DevChainOptions = {}): Promise<ChainFixture> {
  await cryptoWaitReady();
  const chain = await DevChain.start({ log: quietLog, ...opts });
  let api: ApiPromise;
  try {
    api = await connectApi(chain.wsUrl);
  } catch (err) {
    await chain.close();
    throw err;
  }
  return {
    chain,
    api,
    async close() {
      await api.disconnect().catch(() => {});
      await chain.close();
    },
  };
}

/** A fresh sr25519 pair from a random mnemonic; fund it by passing its address to DevChain. */
export function freshPair(): KeyringPair {
  return freshSigner().pair;
}

/** A fresh sr25519 pair and its mnemonic, e.g. for a child process's VILO_CHAIN_SIGNER_URI. */
export function freshSigner(): { pair: KeyringPair; uri: string } {
  const uri = mnemonicGenerate();
  return { pair: new Keyring({ type: 'sr25519' }).addFromUri(uri), uri };
}

export function randomAddress(): string {
  return encodeAddress(randomAsU8a(32), 42);
}

/** Submits and resolves with the block hash once the chain reports it final. */
export function sendAndFinalize(tx: SubmittableExtrinsic<'promise'>, signer: KeyringPair): Promise<string> {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, (result) => {
      if (result.status.isFinalized) resolve(result.status.asFinalized.toHex());
      else if (result.isError) reject(new Error(`transaction ${result.status.type}`));
    }).catch(reject);
  });
}
