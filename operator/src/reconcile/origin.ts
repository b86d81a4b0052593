// Where the stream's origin lives. A placed origin stays put for as long as its pod exists: a
// publisher cannot move without reconnecting, so a node that is merely unready (a missed load
// report, a failing probe) keeps its streams. Only a pod that is gone is replaced.
import { placeOrigin, type NodeState } from '@vilokanam/sfu-node/client';
import type { NodeRef } from '../api/livestream.ts';
import type { FleetNode } from '../fleet/FleetState.ts';

export type OriginDecision =
  | { kind: 'keep'; node: FleetNode; ready: boolean }
  | { kind: 'place'; node: FleetNode; lost: string | undefined }
  | { kind: 'unplaceable'; lost: string | undefined };

export function decideOrigin(current: NodeRef | undefined, fleet: Map<string, FleetNode>, placement: NodeState[]): OriginDecision {
  let lost: string | undefined;
  if (current?.pod) {
    const node = fleet.get(current.pod);
    if (node) return { kind: 'keep', node, ready: node.ready && node.controlUrl !== undefined };
    lost = current.pod;
  }
  const id = placeOrigin(placement);
  const node = id ? fleet.get(id) : undefined;
  return node ? { kind: 'place', node, lost } : { kind: 'unplaceable', lost };
}
