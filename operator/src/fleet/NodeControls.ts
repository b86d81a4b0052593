// Control channels to sfu-nodes, one per node, opened on first use at the control URL the node
// reports. The operator uses them to open a stream's router where it placed it and to close it
// when the stream or an edge goes.
import type { Logger } from 'pino';
import type { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { RemoteSfu, type ControlAuth } from '@vilokanam/sfu-node/client';

export class NodeControls {
  readonly #auth: ControlAuth;
  readonly #log: Logger;
  readonly #caller: string;
  readonly #controls = new Map<string, RemoteSfu>();
  readonly #timeoutMs: number;
  readonly #untrusted: UntrustedInput | undefined;

  constructor(auth: ControlAuth, log: Logger, opts: { caller?: string; timeoutMs?: number; untrusted?: UntrustedInput } = {}) {
    this.#auth = auth;
    this.#log = log;
    this.#caller = opts.caller ?? 'operator';
    this.#timeoutMs = opts.timeoutMs ?? 5_000;
    this.#untrusted = opts.untrusted;
  }

  for(nodeId: string, controlUrl: string): RemoteSfu {
    const existing = this.#controls.get(nodeId);
    if (existing && existing.url === controlUrl.replace(/^http/, 'ws').replace(/\/$/, '')) return existing;
    existing?.close();
    const control = new RemoteSfu({ nodeId, url: controlUrl, auth: this.#auth, caller: this.#caller, log: this.#log, ...(this.#untrusted ? { untrusted: this.#untrusted } : {}) });
    control.once('nodedown', () => {
      if (this.#controls.get(nodeId) === control) this.#controls.delete(nodeId);
    });
    this.#controls.set(nodeId, control);
    return control;
  }

  /** Opens the stream's router on the node (idempotent on the node's side). */
  async openRouter(nodeId: string, controlUrl: string, streamId: string): Promise<void> {
    await this.#bounded(nodeId, 'open router', this.for(nodeId, controlUrl).routerCapabilities(streamId));
  }

  /** Closes the stream's router, and with it every transport, producer and pipe on the node. */
  async closeRouter(nodeId: string, controlUrl: string, streamId: string): Promise<void> {
    const control = this.for(nodeId, controlUrl);
    await this.#bounded(nodeId, 'connect', control.connect());
    control.closeStream(streamId);
    // closeStream is fire-and-forget on the channel; a call after it proves the node took it.
    await this.#bounded(nodeId, 'close router', control.producers(streamId));
  }

  // A node whose host vanished can leave a TCP connect hanging for minutes; a reconcile must not.
  async #bounded<T>(nodeId: string, what: string, p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`sfu-node ${nodeId}: ${what} timed out after ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  drop(nodeId: string): void {
    this.#controls.get(nodeId)?.close();
    this.#controls.delete(nodeId);
  }

  close(): void {
    for (const c of this.#controls.values()) c.close();
    this.#controls.clear();
  }
}
