// How many edges the stream's audience needs and which pods they are on. Viewers are counted
// from the consumers each sfu-node reports for the stream (audio + video per viewer), so the
// figure is what the media plane really carries, whoever routed the viewers there.
import {
  desiredEdges,
  edgeParent,
  placeEdges,
  removableEdges,
  viewersFromConsumers,
  type EdgePolicy,
  type NodeState,
} from '@vilokanam/sfu-node/client';
import type { EdgeStatus } from '../api/livestream.ts';
import { FleetState, type FleetNode } from '../fleet/FleetState.ts';

export interface EdgeInput {
  streamId: string;
  origin: string;
  current: readonly EdgeStatus[];
  fleet: Map<string, FleetNode>;
  placement: NodeState[];
  policy: EdgePolicy;
  /** Edges one node feeds before new edges chain from an edge. */
  fanout: number;
  /** Surplus edges may go now (the audience has been smaller for the scale-down delay). */
  shrink: boolean;
  /**
   * Viewers signaling has admitted and asked room for (the viewer-demand annotation), ahead of
   * the load reports that will show them. The audience is the larger of the two.
   */
  demand?: number;
}

export interface EdgeDecision {
  edges: EdgeStatus[];
  added: string[];
  removed: string[];
  lost: string[];
  desired: number;
  viewers: number;
  /** Edges wanted for which no node had room. */
  short: number;
  /** More edges than the audience needs, kept until shrink or until their viewers leave. */
  surplus: number;
}

export function viewersOn(node: FleetNode | undefined, streamId: string): number {
  return viewersFromConsumers(node?.streams[streamId]?.consumers ?? 0);
}

export function decideEdges(input: EdgeInput): EdgeDecision {
  const { streamId, origin, fleet, policy } = input;
  const lost = input.current.filter((e) => !fleet.has(e.pod)).map((e) => e.pod);
  let kept = input.current.filter((e) => fleet.has(e.pod)).map((e) => ({ ...e, viewers: viewersOn(fleet.get(e.pod), streamId) }));
  const reported = viewersOn(fleet.get(origin), streamId) + kept.reduce((sum, e) => sum + e.viewers, 0);
  const viewers = Math.max(reported, input.demand ?? 0);
  const desired = desiredEdges(viewers, policy);
  const removed: string[] = [];

  // An idle edge on a draining node goes at once; if still needed it is replaced elsewhere.
  const feeds = (pod: string) => kept.some((e) => e.parent === pod);
  for (const e of kept) {
    if (fleet.get(e.pod)?.draining && e.viewers === 0 && !feeds(e.pod)) removed.push(e.pod);
  }
  kept = kept.filter((e) => !removed.includes(e.pod));

  if (input.shrink && kept.length > desired) {
    const state = { origin, edges: kept.map((e) => e.pod), viewers: Object.fromEntries(kept.map((e) => [e.pod, e.viewers])) };
    for (const pod of removableEdges(state, policy)) {
      // An edge feeding another stays while its child does.
      if (!kept.some((e) => e.parent === pod)) removed.push(pod);
    }
    kept = kept.filter((e) => !removed.includes(e.pod));
  }

  // Children of a lost or removed edge pull from a surviving node instead.
  const alive = new Set([origin, ...kept.map((e) => e.pod)]);
  const links: { node: string; parent: string }[] = [];
  for (const e of kept) {
    const parent = alive.has(e.parent) && e.parent !== e.pod ? e.parent : edgeParent(origin, links, input.fanout);
    links.push({ node: e.pod, parent });
  }
  kept = kept.map((e, i) => ({ ...e, parent: links[i]!.parent }));

  const added: string[] = [];
  if (kept.length < desired) {
    const state = { origin, edges: [...kept.map((e) => e.pod), ...removed, ...lost], viewers: {} };
    for (const pod of placeEdges(input.placement, state, desired - kept.length)) {
      const node = fleet.get(pod)!;
      const parent = edgeParent(origin, links, input.fanout);
      links.push({ node: pod, parent });
      kept.push({ ...FleetState.ref(node), parent, viewers: 0 });
      added.push(pod);
    }
  }

  return {
    edges: kept,
    added,
    removed,
    lost,
    desired,
    viewers,
    short: Math.max(0, desired - kept.length),
    surplus: Math.max(0, kept.length - desired),
  };
}
