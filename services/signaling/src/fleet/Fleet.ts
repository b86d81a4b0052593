import type { EventEmitter } from 'node:events';
import type { NodeState, SfuControl } from '@vilokanam/sfu-node';

export interface FleetEvents {
  nodeup: [{ nodeId: string }];
  /** The node is gone (control channel lost or reports stopped): its streams are lost. */
  nodedown: [{ nodeId: string }];
}

/** The sfu-nodes signaling can place streams and viewers on. */
export interface Fleet extends EventEmitter<FleetEvents> {
  nodes(): NodeState[];
  control(nodeId: string): SfuControl | undefined;
  /** Every node's control, for wiring SFU events. */
  controls(): Map<string, SfuControl>;
  /** Counts a placement until the node next reports its load, so a burst of joins spreads out. */
  reserve(nodeId: string, consumers: number): void;
  close(): Promise<void>;
}
