import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Counters are of windows, seconds and batches, never of planck: prom-client values are floats. */
export class SettlementMetrics {
  readonly registry: Registry;
  readonly windows: Counter<'outcome'>;
  readonly ticksSettled: Counter;
  readonly secondsBilled: Counter;
  readonly secondsShared: Counter;
  readonly duplicates: Counter;
  readonly overdrafts: Counter;
  readonly orphans: Counter;
  readonly passErrors: Counter;
  readonly lag: Gauge;
  readonly openWindows: Gauge;
  readonly batchDuration: Histogram;
  readonly payouts: Counter<'outcome'>;
  readonly payoutErrors: Counter;
  readonly submitter: Gauge;
  readonly deposits: Counter<'outcome'>;
  readonly depositCursor: Gauge;
  readonly reconcilerClean: Gauge;
  readonly reconcilerDifference: Gauge;
  readonly reconcilerFailedChecks: Gauge;
  readonly reconcilerLastRun: Gauge;

  constructor(opts: { registry?: Registry; defaultMetrics?: boolean } = {}) {
    this.registry = opts.registry ?? new Registry();
    const registers = [this.registry];
    this.windows = new Counter({
      name: 'vilo_settlement_windows_total',
      help: 'Closed windows folded into the ledger, by outcome (settled, overdrawn, duplicate, empty)',
      labelNames: ['outcome'],
      registers,
    });
    this.ticksSettled = new Counter({ name: 'vilo_settlement_ticks_total', help: 'Ticks (watched seconds) in newly settled windows', registers });
    this.secondsBilled = new Counter({ name: 'vilo_settlement_billed_seconds_total', help: 'Seconds billed to viewers', registers });
    this.secondsShared = new Counter({
      name: 'vilo_settlement_shared_seconds_total',
      help: 'Watched seconds not billed because another session of the same viewer on the same stream had paid for them',
      registers,
    });
    this.duplicates = new Counter({
      name: 'vilo_settlement_duplicate_windows_total',
      help: 'Windows found already settled (replays after a crash, late ticks)',
      registers,
    });
    this.overdrafts = new Counter({ name: 'vilo_settlement_overdrafts_total', help: 'Sessions reported for lack of balance', registers });
    this.orphans = new Counter({
      name: 'vilo_settlement_orphan_windows_total',
      help: 'Windows set aside in vilo:tickwin:orphan because their session hash is missing or malformed',
      registers,
    });
    this.passErrors = new Counter({ name: 'vilo_settlement_pass_errors_total', help: 'Settlement passes that failed and will be retried', registers });
    this.lag = new Gauge({
      name: 'vilo_settlement_lag_seconds',
      help: 'Seconds between the oldest window settled in the last pass closing and its settlement',
      registers,
    });
    this.openWindows = new Gauge({ name: 'vilo_settlement_indexed_windows', help: 'Windows in vilo:tickwin after the last pass', registers });
    this.batchDuration = new Histogram({
      name: 'vilo_settlement_batch_duration_seconds',
      help: 'One batch: Redis read, ledger transaction, Redis cleanup',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.payouts = new Counter({
      name: 'vilo_settlement_payouts_total',
      help: 'Payout batches by how they ended (finalized, failed, expired) or were recovered after a restart (recovered_*)',
      labelNames: ['outcome'],
      registers,
    });
    this.payoutErrors = new Counter({ name: 'vilo_settlement_payout_cycle_errors_total', help: 'Payout cycles that failed and will be retried', registers });
    this.submitter = new Gauge({ name: 'vilo_settlement_payout_submitter', help: '1 while this process holds the payout submitter lock', registers });
    this.deposits = new Counter({
      name: 'vilo_settlement_deposits_total',
      help: 'Finalized deposits into escrow seen, by outcome (credited, duplicate, unassigned)',
      labelNames: ['outcome'],
      registers,
    });
    this.depositCursor = new Gauge({ name: 'vilo_settlement_deposit_cursor', help: 'Next block the deposit watcher will scan', registers });
    this.reconcilerClean = new Gauge({ name: 'vilo_settlement_reconciler_clean', help: '1 if the last reconciler run found the chain and the ledger in agreement', registers });
    this.reconcilerDifference = new Gauge({
      name: 'vilo_settlement_reconciler_escrow_difference_planck',
      help: 'Escrow free balance on chain minus what the ledger and recorded float predict (a float: approximate beyond 2^53)',
      registers,
    });
    this.reconcilerFailedChecks = new Gauge({ name: 'vilo_settlement_reconciler_failed_checks', help: 'Checks that failed in the last reconciler run', registers });
    this.reconcilerLastRun = new Gauge({ name: 'vilo_settlement_reconciler_last_run_timestamp_seconds', help: 'When the last reconciler run finished', registers });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'vilo_settlement_' });
  }
}
