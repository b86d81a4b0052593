import { SfuError, placeOrigin, routeViewer, type EdgePolicy } from '@vilokanam/sfu-node/client';
import type { Fleet } from '../Fleet.ts';
import { streamState, type Route } from '../Route.ts';
import type { Placement, ViewerPlacement } from './Placement.ts';

/** Embedded and fleet mode: signaling places origins on the emptiest node and opens edges as viewers come. */
export class LocalPlacement implements Placement {
  readonly external = false;
  readonly #fleet: Fleet;
  readonly #policy: EdgePolicy;

  constructor(fleet: Fleet, policy: EdgePolicy) {
    this.#fleet = fleet;
    this.#policy = policy;
  }

  async streamStarting(): Promise<void> {}

  streamEnded(): void {}

  async origin(): Promise<string> {
    const origin = placeOrigin(this.#fleet.nodes());
    if (!origin) throw new SfuError('not_found', 'no media node is available');
    return origin;
  }

  viewerNode(route: Route): ViewerPlacement {
    const decision = routeViewer(this.#fleet.nodes(), streamState(route), this.#policy);
    if (decision.nodeId === undefined) throw new SfuError('not_found', decision.reason);
    return { nodeId: decision.nodeId, newEdge: decision.newEdge };
  }

  viewerLeft(): boolean {
    return true;
  }
}
