import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { OVERDRAFT_CHANNEL, OverdraftMessage, closeViewerSession, openViewerSession, type ViewerSession } from '@vilokanam/contracts/ticks';
import type { ViewerBilling, ViewerBillingEvents } from './ViewerBilling.ts';

/** Viewer sessions as Redis hashes, overdrafts from the settlement worker's channel. */
export class RedisViewerBilling extends EventEmitter<ViewerBillingEvents> implements ViewerBilling {
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #untrusted: UntrustedInput;
  readonly #sessionKey: Uint8Array | undefined;

  /** `sessionKey`: signs each session hash, so settlement bills only sessions opened here. */
  constructor(opts: { redis: Redis; subscriber: Redis; log: Logger; untrusted: UntrustedInput; sessionKey?: Uint8Array }) {
    super();
    this.#redis = opts.redis;
    this.#sub = opts.subscriber;
    this.#untrusted = opts.untrusted;
    this.#sessionKey = opts.sessionKey;
  }

  async start(): Promise<void> {
    this.#sub.on('message', (channel: string, json: string) => {
      if (channel !== OVERDRAFT_CHANNEL) return;
      const msg = this.#untrusted.parseJson('overdraft', OverdraftMessage, json);
      if (msg) this.emit('overdraft', msg);
    });
    await this.#sub.subscribe(OVERDRAFT_CHANNEL);
  }

  open(session: ViewerSession): Promise<void> {
    return openViewerSession(this.#redis, session, this.#sessionKey);
  }

  close(sessionId: string): Promise<void> {
    return closeViewerSession(this.#redis, sessionId);
  }

  async stop(): Promise<void> {
    await this.#sub.unsubscribe(OVERDRAFT_CHANNEL).catch(() => undefined);
  }
}
