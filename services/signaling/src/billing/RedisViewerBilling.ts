import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { OVERDRAFT_CHANNEL, OverdraftMessage, closeViewerSession, openViewerSession, type ViewerSession } from '@vilokanam/settlement/ticks';
import type { ViewerBilling, ViewerBillingEvents } from './ViewerBilling.ts';

/** Viewer sessions as Redis hashes, overdrafts from the settlement worker's channel. */
export class RedisViewerBilling extends EventEmitter<ViewerBillingEvents> implements ViewerBilling {
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #log: Logger;

  constructor(opts: { redis: Redis; subscriber: Redis; log: Logger }) {
    super();
    this.#redis = opts.redis;
    this.#sub = opts.subscriber;
    this.#log = opts.log.child({ component: 'billing' });
  }

  async start(): Promise<void> {
    this.#sub.on('message', (channel: string, json: string) => {
      if (channel !== OVERDRAFT_CHANNEL) return;
      const msg = OverdraftMessage.safeParse(safeJson(json));
      if (msg.success) this.emit('overdraft', msg.data);
      else this.#log.warn({ err: msg.error.message }, 'unreadable overdraft message');
    });
    await this.#sub.subscribe(OVERDRAFT_CHANNEL);
  }

  open(session: ViewerSession): Promise<void> {
    return openViewerSession(this.#redis, session);
  }

  close(sessionId: string): Promise<void> {
    return closeViewerSession(this.#redis, sessionId);
  }

  async stop(): Promise<void> {
    await this.#sub.unsubscribe(OVERDRAFT_CHANNEL).catch(() => undefined);
  }
}

function safeJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
