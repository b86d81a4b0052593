// What a person needs to read amounts on this chain: the token's symbol and decimals come from
// the chain's own registry properties, never from constants, so the same code shows DOT on
// Polkadot Asset Hub and ROC on the dev chain.
import type { ApiPromise } from '@polkadot/api';

export interface ChainProperties {
  genesisHash: string;
  /** The runtime's name, e.g. "statemine". */
  specName: string;
  tokenSymbol: string;
  tokenDecimals: number;
  ss58Prefix: number;
  /** Planck: the smallest balance an account may hold. */
  existentialDeposit: bigint;
}

/** Reads the chain's properties from a connected api (registry, genesis, constants). */
export function readChainProperties(api: ApiPromise): ChainProperties {
  const decimals = api.registry.chainDecimals[0];
  const symbol = api.registry.chainTokens[0];
  if (decimals === undefined || !Number.isInteger(decimals) || decimals < 0 || decimals > 30) {
    throw new Error(`chain properties: tokenDecimals ${String(decimals)} is not usable`);
  }
  if (!symbol || !/^[A-Za-z0-9]{1,12}$/.test(symbol)) throw new Error(`chain properties: tokenSymbol "${String(symbol)}" is not usable`);
  const ed = api.consts.balances?.existentialDeposit as unknown as { toString(): string } | undefined;
  return {
    genesisHash: api.genesisHash.toHex(),
    specName: api.runtimeVersion.specName.toString(),
    tokenSymbol: symbol,
    tokenDecimals: decimals,
    ss58Prefix: api.registry.chainSS58 ?? 42,
    existentialDeposit: ed === undefined ? 0n : BigInt(ed.toString()),
  };
}
