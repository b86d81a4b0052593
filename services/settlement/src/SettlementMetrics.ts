import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Counters are of windows and seconds, never of planck: prom-client values are floats. */
export class SettlementMetrics {
  readonly registry: Registry;
  readonly windows: Counter<'outcome'>;
  readonly ticksSettled: Counter;
  readonly secondsBilled: Counter;
  readonly duplicates: Counter;
  readonly overdrafts: Counter;
  readonly orphans: Counter;
  readonly passErrors: Counter;
  readonly lag: Gauge;
  readonly openWindows: Gauge;
  readonly batchDuration: Histogram;

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
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'vilo_settlement_' });
  }
}
