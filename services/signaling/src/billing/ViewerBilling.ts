import type { EventEmitter } from 'node:events';
import type { OverdraftMessage, ViewerSession } from '@vilokanam/contracts/ticks';

export interface ViewerBillingEvents {
  /** Settlement could not bill a window in full: stop the session's media, tell the player. */
  overdraft: [OverdraftMessage];
}

/**
 * Where signaling records who watches what at which price (ticks.ts's contract): Redis in
 * fleet and Kubernetes mode, settlement's in-process store in embedded mode.
 */
export interface ViewerBilling extends EventEmitter<ViewerBillingEvents> {
  open(session: ViewerSession): Promise<void>;
  /** The session left; its record outlives its last window so that window still settles. */
  close(sessionId: string): Promise<void>;
  stop(): Promise<void>;
}
