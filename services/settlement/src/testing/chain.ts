// A real chopsticks dev chain for settlement tests, with a funded escrow whose mnemonic is
// known (a child process can be handed it as VILO_CHAIN_SIGNER_URI).
import { buildDepositExtrinsic, type ApiPromise, type KeyringPair } from '@vilokanam/chain';
import { freshSigner, sendAndFinalize, startChain, type ChainFixture } from '@vilokanam/chain/testing';

export { ROC, quietLog, randomAddress, sendAndFinalize } from '@vilokanam/chain/testing';

export interface EscrowChain extends ChainFixture {
  escrow: KeyringPair;
  /** The escrow's mnemonic. */
  escrowUri: string;
}

export async function startEscrowChain(): Promise<EscrowChain> {
  const { pair, uri } = freshSigner();
  const fx = await startChain({ fund: [pair.address] });
  return { ...fx, escrow: pair, escrowUri: uri };
}

/** A wallet's deposit: transfer plus memo in one batchAll; resolves with the block hash once final. */
export function depositOnChain(api: ApiPromise, from: KeyringPair, escrow: string, amount: bigint, account: string): Promise<string> {
  return sendAndFinalize(buildDepositExtrinsic(api, escrow, amount, account), from);
}

/** Free balance at the best block (= finalized under chopsticks). */
export async function freeBalance(api: ApiPromise, address: string): Promise<bigint> {
  const account = (await api.query.system!.account!(address)) as unknown as { data: { free: { toString(): string } } };
  return BigInt(account.data.free.toString());
}
