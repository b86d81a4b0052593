import { EventEmitter } from 'node:events';
import type { MemoryTickStore } from '@vilokanam/settlement';
import type { OverdraftMessage, ViewerSession } from '@vilokanam/contracts/ticks';
import type { ViewerBilling, ViewerBillingEvents } from './ViewerBilling.ts';

/** Embedded mode: the same contract on settlement's in-process tick store. */
export class MemoryViewerBilling extends EventEmitter<ViewerBillingEvents> implements ViewerBilling {
  readonly #store: MemoryTickStore;
  readonly #forward = (msg: OverdraftMessage): void => void this.emit('overdraft', msg);

  constructor(store: MemoryTickStore) {
    super();
    this.#store = store;
    store.on('overdraft', this.#forward);
  }

  open(session: ViewerSession): Promise<void> {
    return this.#store.openViewerSession(session);
  }

  close(sessionId: string): Promise<void> {
    return this.#store.closeViewerSession(sessionId);
  }

  async stop(): Promise<void> {
    this.#store.off('overdraft', this.#forward);
  }
}
