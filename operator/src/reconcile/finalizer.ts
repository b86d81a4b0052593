// The release finalizer: a LiveStream being deleted (or ended) first has its router closed on
// every sfu-node that holds one (its origin, its edges, and any node still reporting it), and
// its route removed from Redis; only then does the finalizer come off and the object go.
import { FINALIZER, type LiveStream, type LiveStreamStatus } from '../api/livestream.ts';
import type { LiveStreamClient } from '../api/LiveStreamClient.ts';
import type { FleetNode } from '../fleet/FleetState.ts';
import type { NodeControls } from '../fleet/NodeControls.ts';
import type { RouteMirror } from './RouteMirror.ts';

export function hasFinalizer(ls: LiveStream): boolean {
  return ls.metadata.finalizers?.includes(FINALIZER) ?? false;
}

export function addFinalizer(client: LiveStreamClient, ls: LiveStream): Promise<LiveStream> {
  return client.setFinalizers(ls, [...(ls.metadata.finalizers ?? []), FINALIZER]);
}

export function removeFinalizer(client: LiveStreamClient, ls: LiveStream): Promise<LiveStream> {
  return client.setFinalizers(ls, (ls.metadata.finalizers ?? []).filter((f) => f !== FINALIZER));
}

/** Pods that may hold a router for the stream: the routing table's, and any reporting one. */
export function holders(streamId: string, status: LiveStreamStatus | undefined, fleet: Map<string, FleetNode>): string[] {
  const pods = new Set<string>();
  if (status?.origin?.pod) pods.add(status.origin.pod);
  for (const e of status?.edges ?? []) pods.add(e.pod);
  for (const n of fleet.values()) if (n.streams[streamId]) pods.add(n.pod);
  return [...pods].sort();
}

export interface ReleaseResult {
  released: string[];
  /** Pods still there whose router could not be closed; the caller retries. */
  failed: { pod: string; error: string }[];
}

export async function releaseStream(
  streamId: string,
  status: LiveStreamStatus | undefined,
  fleet: Map<string, FleetNode>,
  controls: NodeControls,
  mirror: RouteMirror,
): Promise<ReleaseResult> {
  const result: ReleaseResult = { released: [], failed: [] };
  // The route goes first so signaling stops sending viewers to routers about to close.
  await mirror.delete(streamId);
  await Promise.all(
    holders(streamId, status, fleet).map(async (pod) => {
      const node = fleet.get(pod);
      // A pod that is gone, or whose process is not reporting, holds no router: routers live
      // in the sfu-node process's memory.
      if (!node?.controlUrl) return;
      try {
        await controls.closeRouter(pod, node.controlUrl, streamId);
        result.released.push(pod);
      } catch (err) {
        result.failed.push({ pod, error: (err as Error).message });
      }
    }),
  );
  result.released.sort();
  return result;
}
