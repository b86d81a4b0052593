export { auditLedger, entriesTotal } from './audit.ts';
export { SpendingCaps, type Spendable, type SpendingCap } from './SpendingCaps.ts';
export { loadChainProperties, saveChainProperties, type StoredChainProperties } from './chainProperties.ts';
export { PLATFORM_OWNER, withdrawalCommitment, Withdrawals, withdrawalSource, type WithdrawalRecord, type WithdrawalRequest, type WithdrawalResult } from './Withdrawals.ts';
export { reserveSecondsFromEnv, settlementConfigFromEnv, settlementLagSeconds, workerSettings, type SettlementChainConfig, type SettlementConfig } from './config.ts';
export { migrate, openDatabase, type Database, type DatabaseOptions, type Queryable } from './db/Database.ts';
export {
  Ledger,
  type DepositInput,
  type DepositResult,
  type DuplicateWindowResult,
  type Earnings,
  type HistoryEntry,
  type SettledWindowResult,
  type SettleResult,
  type WindowUsage,
} from './Ledger.ts';
export { creatorAccount, ESCROW_ACCOUNT, payoutPendingAccount, PLATFORM_ACCOUNT, tipLeafId, viewerAccount, withdrawalPendingAccount, type TxnKind } from './ledgerSql.ts';
export { TipError, Tips, type TipErrorCode, type TipInput, type TipPage, type TipResult, type TipRow } from './Tips.ts';
export { CREATOR_SHARE_PERCENT, parsePlanck, splitWatch, type WatchSplit } from './money.ts';
export {
  PayoutBook,
  type CreateBatchResult,
  type PayoutInclusion,
  type MerkleRootFn,
  type PayoutBatchRecord,
  type PayoutItem,
  type PayoutLeaf,
  type PayoutStatus,
} from './PayoutBook.ts';
export { DepositCrediter, type DepositCrediterOptions, type DepositOutcome } from './DepositCrediter.ts';
export { MemoryTickStore, type MemoryTickStoreEvents, type MemoryTickStoreOptions } from './MemoryTickStore.ts';
export { PayoutScheduler, type BatchEvent, type BatchOutcome, type CycleSummary, type PayoutSchedulerEvents, type PayoutSchedulerOptions } from './PayoutScheduler.ts';
export { CHECKS, Reconciler, type ReconcileCheck, type ReconcilerOptions, type ReconcileReport } from './Reconciler.ts';
export { RedisTickSource } from './RedisTickSource.ts';
export { SettlementMetrics } from './SettlementMetrics.ts';
export { SettlementService, type SettlementChainOptions, type SettlementServiceOptions } from './SettlementService.ts';
export { SUBMITTER_LOCK_KEY, SubmitterLock } from './SubmitterLock.ts';
export type { IndexedWindow, TickReads, TickSource } from './TickSource.ts';
export { SettlementWorker, type OverdraftEvent, type PassSummary, type SettlementWorkerEvents, type SettlementWorkerOptions } from './SettlementWorker.ts';
