import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { MemoryTickStore } from '@vilokanam/settlement';
import type { SfuNode } from '@vilokanam/sfu-node';
import type { ViewerBilling } from '../billing/ViewerBilling.ts';
import type { Database } from '../db/Database.ts';
import type { Fleet } from '../fleet/Fleet.ts';
import type { StreamRoutes } from '../fleet/StreamRoutes.ts';
import type { SignalingMetrics } from '../metrics.ts';
import type { EmbeddedSettlement } from '../settlement/EmbeddedSettlement.ts';
import type { AccountSessions } from '../ws/AccountSessions.ts';
import type { HubBus } from '../ws/HubBus.ts';

/** Where a platform's media runs and how its viewers are billed, by mode. */
export interface MediaMode {
  fleet: Fleet;
  routes: StreamRoutes;
  billing: ViewerBilling;
  /** How this signaling replica hears of the others' streams (none in embedded mode). */
  hubBus: HubBus;
  /** Each account's sessions, for its cap and its balance: this process's memory, or Redis shared by every replica. */
  accounts: AccountSessions;
  /** Embedded mode: the in-process node, its tick store, and settlement running beside it. */
  sfu?: SfuNode;
  ticks?: MemoryTickStore;
  settlement?: EmbeddedSettlement;
  /** Stops what the mode started, after the HTTP side has stopped. */
  close(): Promise<void>;
}

export interface ModeContext {
  db: Database;
  log: Logger;
  metrics: SignalingMetrics;
  /** This signaling process among the replicas of its fleet. */
  replicaId: string;
}

/** Test seams: a node, a tick store or a cluster given instead of made, settlement left out. */
export interface PlatformOptions {
  sfu?: SfuNode;
  log?: Logger;
  kube?: KubeConfig;
  ticks?: MemoryTickStore;
  settlement?: false;
}
