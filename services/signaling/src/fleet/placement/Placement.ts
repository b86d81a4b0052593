import type { StreamRecord } from '../../StreamStore.ts';
import type { Route } from '../Route.ts';

/** Where a viewer goes, and whether an edge must open there first. */
export interface ViewerPlacement {
  nodeId: string;
  newEdge: boolean;
}

/**
 * Who decides where streams and viewers go: signaling itself (LocalPlacement, embedded and
 * fleet mode) or a provider such as the Kubernetes operator (ProvidedPlacement). StreamRoutes
 * keeps the table and the pipes; a placement only decides.
 */
export interface Placement {
  /** Placement is someone else's: joins wait for it, and the routers it opens are its own to close. */
  readonly external: boolean;
  /** A stream is about to go live; throws to refuse it. */
  streamStarting(stream: StreamRecord): Promise<void>;
  streamEnded(streamId: string): void;
  /** The origin of a stream with no route here yet; undefined when a route arrived meanwhile. */
  origin(streamId: string): Promise<string | undefined>;
  /** `elsewhere`: the stream's viewers on other signaling replicas, which this route does not count. */
  viewerNode(route: Route, elsewhere: number): ViewerPlacement;
  /** A viewer left the route. True: idle edges are this process's to remove. */
  viewerLeft(route: Route, elsewhere: number): boolean;
}
