export { connectApi } from './api.ts';
export { readChainProperties, type ChainProperties } from './properties.ts';
export { DevChain, DEV_ACCOUNTS, DEFAULT_FUND_AMOUNT, type BlockMode, type DevChainOptions, type NewBlockOptions } from './DevChain.ts';
export { DepositWatcher, buildDepositExtrinsic, type Deposit, type DepositWatcherEvents, type DepositWatcherOptions } from './DepositWatcher.ts';
export {
  DEFAULT_WEIGHT_SHARE,
  buildPayoutCall,
  estimatePayoutBatch,
  estimateWithdrawalFee,
  maxTransfersPerExtrinsic,
  payoutLimits,
  type PayoutEstimate,
  type PayoutLimits,
  type Weight,
} from './estimate.ts';
export { accountHex, escrowExtrinsicsIn, freeBalanceAt, isFinalizedCanonical, type EscrowExtrinsic, type EscrowTransfer } from './escrowScan.ts';
export { FinalizedChain, type BlockRef, type ChainBlock } from './FinalizedChain.ts';
export { verifyInclusion, ProofFile, type InclusionReport, type PayoutRemark, type VerifyOptions } from './inclusion.ts';
export { devSigner, isDevUri, loadSigner, Secret, signerConfigFromEnv, type LoadSignerOptions, type SignerConfig } from './keys.ts';
export {
  BATCH_ID_RE,
  DEPOSIT_PREFIX,
  PAYOUT_PREFIX,
  depositMemo,
  parseDepositMemo,
  parsePayoutMemo,
  payoutMemo,
  remarkHash,
} from './memo.ts';
export {
  EMPTY_ROOT,
  MerkleTree,
  compareLeaves,
  encodeLeaf,
  leafHash,
  merkleProof,
  merkleRoot,
  sortLeaves,
  verifyProof,
  windowFromJson,
  windowToJson,
  type ProofStep,
  type SettledWindow,
  type SettledWindowJson,
} from './merkle.ts';
export { describeDispatchError, extrinsicOutcome, type ExtrinsicOutcome } from './outcome.ts';
export {
  SettlementClient,
  splitPayoutBatch,
  type Inclusion,
  type PayoutBatch,
  type PayoutOnChain,
  type PayoutResult,
  type PayoutTransfer,
  type SettlementClientEvents,
  type SettlementClientOptions,
} from './SettlementClient.ts';
// Types of the @polkadot objects this package's API takes, so dependents need no @polkadot imports.
export type { ApiPromise } from '@polkadot/api';
export type { KeyringPair } from '@polkadot/keyring/types';
