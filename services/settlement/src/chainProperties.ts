// The chain_properties row (migrations/004_chain_properties.sql): written by settlement when it
// connects, read by the pages' API to show amounts in the chain's own token and to quote
// withdrawals.
import type { ChainProperties } from '@vilokanam/chain';
import type { Queryable } from './db/Database.ts';

export interface StoredChainProperties extends ChainProperties {
  /** The network fee of one withdrawal, planck; undefined until settlement has estimated it. */
  withdrawalFee?: bigint;
}

export async function saveChainProperties(q: Queryable, p: StoredChainProperties): Promise<void> {
  await q.query(
    `INSERT INTO chain_properties (singleton, genesis_hash, spec_name, token_symbol, token_decimals, ss58_prefix, existential_deposit, withdrawal_fee)
     VALUES (true, $1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (singleton) DO UPDATE SET genesis_hash = EXCLUDED.genesis_hash, spec_name = EXCLUDED.spec_name,
       token_symbol = EXCLUDED.token_symbol, token_decimals = EXCLUDED.token_decimals, ss58_prefix = EXCLUDED.ss58_prefix,
       existential_deposit = EXCLUDED.existential_deposit, withdrawal_fee = EXCLUDED.withdrawal_fee, updated_at = now()`,
    [p.genesisHash, p.specName, p.tokenSymbol, p.tokenDecimals, p.ss58Prefix, p.existentialDeposit.toString(), p.withdrawalFee?.toString() ?? null],
  );
}

/** The last chain settlement connected to, or undefined when it never has. */
export async function loadChainProperties(q: Queryable): Promise<StoredChainProperties | undefined> {
  const [row] = await q.query<{
    genesis_hash: string;
    spec_name: string;
    token_symbol: string;
    token_decimals: number;
    ss58_prefix: number;
    existential_deposit: string;
    withdrawal_fee: string | null;
  }>(
    `SELECT genesis_hash, spec_name, token_symbol, token_decimals, ss58_prefix, existential_deposit::text AS existential_deposit,
            withdrawal_fee::text AS withdrawal_fee
       FROM chain_properties WHERE singleton`,
  );
  if (!row) return undefined;
  return {
    genesisHash: row.genesis_hash,
    specName: row.spec_name,
    tokenSymbol: row.token_symbol,
    tokenDecimals: Number(row.token_decimals),
    ss58Prefix: Number(row.ss58_prefix),
    existentialDeposit: BigInt(row.existential_deposit),
    ...(row.withdrawal_fee === null ? {} : { withdrawalFee: BigInt(row.withdrawal_fee) }),
  };
}
