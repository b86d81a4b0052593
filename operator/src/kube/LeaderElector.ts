// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: a lease is
// taken over only after it went unrenewed for leaseDuration *as observed locally* (so clock
// skew between replicas does not matter), every write carries the resourceVersion it read (so
// two candidates cannot both win a round), and a leader that cannot renew within renewDeadline
// stops acting before its lease can expire for anyone else (renewDeadline < leaseDuration).
import { EventEmitter } from 'node:events';
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isStatus } from './errors.ts';

export interface LeaderElectorOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
}

export interface LeaderElectorEvents {
  /** This replica now leads: start acting. */
  started: [];
  /** This replica no longer leads: stop acting at once. */
  stopped: [];
  /** Whoever holds the lease changed (may be this replica). */
  leader: [string];
}

export class LeaderElector extends EventEmitter<LeaderElectorEvents> {
  readonly identity: string;
  readonly #api: CoordinationV1Api;
  readonly #ns: string;
  readonly #name: string;
  readonly #leaseMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryMs: number;
  readonly #log: Logger;
  #observed: { holder: string; renewTime: string; resourceVersion: string } | undefined;
  #observedAt = 0;
  #lastRenew = 0;
  #leading = false;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #leader = '';
  #watchdog: NodeJS.Timeout | undefined;

  constructor(opts: LeaderElectorOptions) {
    super();
    this.identity = opts.identity;
    this.#api = opts.kc.makeApiClient(CoordinationV1Api);
    this.#ns = opts.namespace;
    this.#name = opts.name;
    this.#leaseMs = opts.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.#retryMs = opts.retryPeriodMs ?? 2_000;
    if (this.#renewDeadlineMs >= this.#leaseMs) throw new Error('renewDeadline must be shorter than leaseDuration');
    if (this.#retryMs >= this.#renewDeadlineMs) throw new Error('retryPeriod must be shorter than renewDeadline');
    this.#log = opts.log.child({ component: 'leader-election', lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Holder of the lease as last observed ('' when nobody). */
  get leader(): string {
    return this.#leader;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops campaigning; a leader releases the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    clearTimeout(this.#watchdog);
    if (this.#leading) {
      this.#setLeading(false);
      await this.#release().catch((err: Error) => this.#log.warn({ err }, 'lease release failed'));
    }
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const ok = await this.#tryAcquireOrRenew().catch((err: Error) => {
        this.#log.warn({ err }, 'lease update failed');
        return false;
      });
      if (ok && this.#running) {
        this.#lastRenew = Date.now();
        this.#armWatchdog();
        if (!this.#leading) this.#setLeading(true);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#retryMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  // A renew call that hangs must not keep this replica acting past its deadline.
  #armWatchdog(): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => {
      if (!this.#leading) return;
      this.#log.error({ sinceRenewMs: Date.now() - this.#lastRenew }, 'lost the lease: could not renew in time');
      this.#setLeading(false);
    }, this.#renewDeadlineMs);
    this.#watchdog.unref();
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#log.info(leading ? 'became leader' : 'stopped leading');
    this.emit(leading ? 'started' : 'stopped');
  }

  #observe(lease: V1Lease): void {
    const record = {
      holder: lease.spec?.holderIdentity ?? '',
      renewTime: String(lease.spec?.renewTime ?? ''),
      resourceVersion: lease.metadata?.resourceVersion ?? '',
    };
    if (!this.#observed || this.#observed.holder !== record.holder || this.#observed.renewTime !== record.renewTime) {
      this.#observedAt = Date.now();
    }
    this.#observed = record;
    if (record.holder !== this.#leader) {
      this.#leader = record.holder;
      this.emit('leader', record.holder);
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = new V1MicroTime();
    const spec = { holderIdentity: this.identity, leaseDurationSeconds: Math.ceil(this.#leaseMs / 1000), renewTime: now };
    let lease: V1Lease;
    try {
      lease = await this.#api.readNamespacedLease({ name: this.#name, namespace: this.#ns });
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
      try {
        const created = await this.#api.createNamespacedLease({
          namespace: this.#ns,
          body: { metadata: { name: this.#name, namespace: this.#ns }, spec: { ...spec, acquireTime: now, leaseTransitions: 0 } },
        });
        this.#observe(created);
        return true;
      } catch (createErr) {
        if (isStatus(createErr, 409)) return false;
        throw createErr;
      }
    }
    this.#observe(lease);
    const holder = lease.spec?.holderIdentity ?? '';
    const mine = holder === this.identity;
    // Leases are judged by when this replica saw them change, not by the writer's clock.
    const heldMs = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    if (holder && !mine && Date.now() - this.#observedAt < heldMs) return false;
    const body: V1Lease = {
      ...lease,
      spec: {
        ...lease.spec,
        ...spec,
        acquireTime: mine ? lease.spec?.acquireTime : now,
        leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    };
    try {
      const updated = await this.#api.replaceNamespacedLease({ name: this.#name, namespace: this.#ns, body });
      this.#observe(updated);
      return true;
    } catch (err) {
      if (isStatus(err, 409)) return false;
      throw err;
    }
  }

  async #release(): Promise<void> {
    const lease = await this.#api.readNamespacedLease({ name: this.#name, namespace: this.#ns });
    if (lease.spec?.holderIdentity !== this.identity) return;
    await this.#api.replaceNamespacedLease({
      name: this.#name,
      namespace: this.#ns,
      body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new V1MicroTime() } },
    });
    this.#log.info('lease released');
  }
}
