import { SfuError } from '@vilokanam/sfu-node/client';
import type { StreamRecord } from '../../StreamStore.ts';
import type { Fleet } from '../Fleet.ts';
import { audience, type Route } from '../Route.ts';
import type { RouteProvider } from '../RouteProvider.ts';
import type { Placement, ViewerPlacement } from './Placement.ts';

/**
 * Kubernetes mode: the provider (the operator, through OperatorRoutes) places origins and
 * edges, and StreamRoutes applies them. Viewers go to the serving node with the fewest viewers
 * below the stream's viewersPerEdge; when all are full the viewer still gets in on the
 * emptiest, and the provider is asked for the edge it now lacks.
 */
export class ProvidedPlacement implements Placement {
  readonly external = true;
  readonly #provider: RouteProvider;
  readonly #fleet: Fleet;

  constructor(provider: RouteProvider, fleet: Fleet) {
    this.#provider = provider;
    this.#fleet = fleet;
  }

  streamStarting(stream: StreamRecord): Promise<void> {
    return this.#provider.streamStarting(stream);
  }

  streamEnded(streamId: string): void {
    this.#provider.streamEnded(streamId);
  }

  async origin(streamId: string): Promise<undefined> {
    await this.#provider.awaitRoute(streamId);
    return undefined;
  }

  viewerNode(route: Route, elsewhere: number): ViewerPlacement {
    const count = (id: string) => route.viewers.get(id) ?? 0;
    // The stream's cap and the demand for edges are about its whole audience, on every replica.
    const total = audience(route) + elsewhere;
    if (total >= route.maxViewers) throw new SfuError('forbidden', 'the stream is full');
    const serving = [route.origin, ...route.edges.keys()].filter((id) => !route.draining.has(id) && this.#fleet.control(id));
    if (serving.length === 0) throw new SfuError('not_found', 'no media node serves the stream');
    const room = serving.filter((id) => count(id) < route.viewersPerEdge);
    if (room.length === 0) this.#provider.capacityWanted(route.streamId, total + 1);
    const nodeId = (room.length ? room : serving).reduce((best, id) => (count(id) < count(best) ? id : best));
    return { nodeId, newEdge: false };
  }

  viewerLeft(route: Route, elsewhere: number): boolean {
    // Placed edges are removed by the provider, which sees the whole audience.
    this.#provider.audienceShrank(route.streamId, audience(route) + elsewhere);
    return false;
  }
}
