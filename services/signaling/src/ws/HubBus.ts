import type { HubMessage, HubMessageBody } from './HubMessage.ts';

/**
 * How the signaling replicas of one fleet hear about each other's streams: publishers joining
 * and leaving, producers becoming consumable, streams going live and ending, and each
 * replica's viewer counts. In one process (embedded mode) there is nobody to tell.
 * Delivery is at most once: what must hold anyway (a stream's lease, its status) lives in the
 * database, and the heartbeat restates every count.
 */
export interface HubBus {
  /** This replica, as the others know it. */
  readonly replicaId: string;
  /** Messages from the other replicas only, already parsed; malformed ones never arrive. */
  onMessage(handler: (msg: HubMessage) => void): void;
  /** Fire and forget: a failure is logged, never thrown. */
  publish(msg: HubMessageBody): void;
  start(): Promise<void>;
  /** Tells the others this replica is gone, then stops listening. */
  close(): Promise<void>;
}
