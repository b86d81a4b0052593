// A list+watch cache of one resource. client-node's ListWatch stops for good on an error (a
// refused list, a dropped connection it cannot resume); this wrapper restarts it with backoff,
// re-lists after 410 Gone, and re-delivers every cached object on a resync period so
// reconcilers correct drift that no event announces.
import { EventEmitter } from 'node:events';
import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffDelay } from '@vilokanam/contracts/backoff';

export interface InformerEvents<T> {
  add: [T];
  update: [T];
  delete: [T];
  /** Periodic re-delivery of every cached object. */
  resync: [T];
  /** The first list completed (emitted once). */
  synced: [];
  error: [Error];
}

/** Any Kubernetes object; custom resources keep their timestamps as strings. */
export type KubeObject = object;

export interface ObjectList<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

export interface InformerOptions<T extends KubeObject> {
  kc: KubeConfig;
  /** Watch path, e.g. /api/v1/namespaces/ns/pods. */
  path: string;
  list: () => Promise<ObjectList<T>>;
  labelSelector?: string;
  resyncMs?: number;
  log: Logger;
  name: string;
  maxBackoffMs?: number;
}

export class Informer<T extends KubeObject> extends EventEmitter<InformerEvents<T>> {
  readonly name: string;
  readonly #lw: ListWatch<KubernetesObject>;
  readonly #log: Logger;
  readonly #resyncMs: number;
  readonly #maxBackoffMs: number;
  #resync: NodeJS.Timeout | undefined;
  #restart: NodeJS.Timeout | undefined;
  #failures = 0;
  #synced = false;
  #stopped = false;
  #syncWaiters: (() => void)[] = [];

  constructor(opts: InformerOptions<T>) {
    super();
    this.name = opts.name;
    this.#log = opts.log.child({ informer: opts.name });
    this.#resyncMs = opts.resyncMs ?? 30_000;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    const list = opts.list as unknown as () => Promise<{ items: KubernetesObject[] }>;
    this.#lw = new ListWatch<KubernetesObject>(opts.path, new Watch(opts.kc), list, false, opts.labelSelector);
    this.#lw.on('add', (obj) => this.emit('add', obj as T));
    this.#lw.on('update', (obj) => this.emit('update', obj as T));
    this.#lw.on('delete', (obj) => this.emit('delete', obj as T));
    this.#lw.on('error', (err: unknown) => this.#failed(err));
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** Resolves once the first list has landed in the cache. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#run();
    this.#resync = setInterval(() => {
      for (const obj of this.#lw.list()) this.emit('resync', obj as T);
    }, this.#resyncMs);
    this.#resync.unref();
    if (!this.#synced) await new Promise<void>((resolve) => this.#syncWaiters.push(resolve));
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#lw.get(name, namespace) as T | undefined;
  }

  list(namespace?: string): T[] {
    return [...this.#lw.list(namespace)] as T[];
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#resync);
    clearTimeout(this.#restart);
    await this.#lw.stop();
    for (const w of this.#syncWaiters.splice(0)) w();
  }

  async #run(): Promise<void> {
    // ListWatch.start() resolves once the watch is open, or after it reported an error.
    await this.#lw.start();
    if (!this.#stopped && this.#lw.latestResourceVersion()) this.#markSynced();
  }

  #markSynced(): void {
    this.#failures = 0;
    if (this.#synced) return;
    this.#synced = true;
    this.#log.debug('synced');
    this.emit('synced');
    for (const w of this.#syncWaiters.splice(0)) w();
  }

  #failed(err: unknown): void {
    if (this.#stopped) return;
    const error = err instanceof Error ? err : new Error(String((err as { message?: unknown })?.message ?? err));
    this.#failures++;
    const delay = backoffDelay(this.#failures - 1, { initialMs: 250, maxMs: this.#maxBackoffMs });
    const status = (err as { statusCode?: number; code?: number })?.statusCode ?? (err as { code?: number })?.code;
    this.#log.warn({ err: error, status, retryInMs: delay }, 'list/watch failed; restarting');
    this.emit('error', error);
    clearTimeout(this.#restart);
    this.#restart = setTimeout(() => {
      if (!this.#stopped) void this.#run().catch((e: unknown) => this.#failed(e));
    }, delay);
    this.#restart.unref();
  }
}
