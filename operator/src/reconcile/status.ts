// The status a LiveStream should show for what the reconciler found: phase, routing table,
// viewers and one condition per question an SRE asks (is it placed? is its origin up? does it
// have the edges its audience needs? is anyone publishing? is it ready for viewers?).
import type { EdgeStatus, LiveStreamStatus, NodeRef, Phase } from '../api/livestream.ts';
import { setCondition, type ConditionInput } from './conditions.ts';

export type Lifecycle = 'active' | 'invalid' | 'releasing' | 'ended';

export type OriginFact =
  | { placed: false; reason: 'NoCapacity' | 'OriginLost'; message: string }
  | { placed: true; ref: NodeRef; routerReady: boolean; nodeReady: boolean };

export interface StatusFacts {
  generation: number;
  now: Date;
  lifecycle: Lifecycle;
  invalidMessage?: string;
  origin?: OriginFact;
  edges?: { edges: EdgeStatus[]; desired: number; short: number };
  viewers: number;
  producers: number;
  viewersPerEdge: number;
}

export function buildStatus(prev: LiveStreamStatus | undefined, f: StatusFacts): LiveStreamStatus {
  let conditions = prev?.conditions ?? [];
  const set = (c: ConditionInput) => (conditions = setCondition(conditions, c, f.generation, f.now));

  if (f.lifecycle === 'invalid') {
    // The routing stays as it was: a live stream keeps running while its spec gets fixed.
    set({ type: 'Ready', status: 'False', reason: 'InvalidSpec', message: f.invalidMessage ?? 'invalid spec' });
    return { ...prev, phase: 'Failed', conditions, observedGeneration: f.generation };
  }

  if (f.lifecycle === 'releasing' || f.lifecycle === 'ended') {
    const reason = f.lifecycle === 'ended' ? 'Ended' : 'Deleting';
    const message = f.lifecycle === 'ended' ? 'the creator ended the stream; routers released' : 'releasing routers and edges before deletion';
    for (const type of ['Scheduled', 'OriginReady', 'EdgesReady', 'Publishing', 'Ready'] as const) {
      set({ type, status: 'False', reason, message });
    }
    const phase: Phase = f.lifecycle === 'ended' ? 'Ended' : 'Draining';
    return { phase, edges: [], edgeCount: 0, viewers: 0, conditions, observedGeneration: f.generation };
  }

  const origin = f.origin;
  if (!origin || !origin.placed) {
    const reason = origin?.reason ?? 'NoCapacity';
    const message = origin?.message ?? 'no sfu-node is ready';
    set({ type: 'Scheduled', status: 'False', reason, message });
    set({ type: 'OriginReady', status: 'False', reason: 'NotScheduled', message: 'the stream has no origin yet' });
  } else {
    const at = origin.ref.node ? `pod ${origin.ref.pod} on node ${origin.ref.node}` : `pod ${origin.ref.pod}`;
    set({ type: 'Scheduled', status: 'True', reason: 'OriginPlaced', message: `origin on ${at}` });
    if (!origin.routerReady) set({ type: 'OriginReady', status: 'False', reason: 'RouterPending', message: `opening the router on ${origin.ref.pod}` });
    else if (!origin.nodeReady) set({ type: 'OriginReady', status: 'False', reason: 'NodeNotReady', message: `${origin.ref.pod} is not ready or not reporting load` });
    else set({ type: 'OriginReady', status: 'True', reason: 'RouterReady', message: `router open on ${origin.ref.pod}` });
  }

  const edges = f.edges ?? { edges: prev?.edges ?? [], desired: 0, short: 0 };
  if (edges.short > 0) {
    set({
      type: 'EdgesReady',
      status: 'False',
      reason: 'NoCapacity',
      message: `${edges.edges.length} of ${edges.desired} edges placed for ${f.viewers} viewers: no sfu-node has room`,
    });
  } else {
    set({
      type: 'EdgesReady',
      status: 'True',
      reason: 'EdgesMatchAudience',
      message: `${edges.edges.length} edges for ${f.viewers} viewers at ${f.viewersPerEdge} per edge`,
    });
  }

  if (f.producers > 0) set({ type: 'Publishing', status: 'True', reason: 'PublisherConnected', message: `${f.producers} producers on the origin` });
  else set({ type: 'Publishing', status: 'False', reason: 'NoPublisher', message: 'nothing is being published yet' });

  const blocking = ['Scheduled', 'OriginReady', 'EdgesReady'].map((t) => conditions.find((c) => c.type === t)!).find((c) => c.status !== 'True');
  if (blocking) set({ type: 'Ready', status: 'False', reason: blocking.reason, message: blocking.message });
  else set({ type: 'Ready', status: 'True', reason: 'Live', message: 'viewers can join' });

  const live = origin?.placed === true && origin.routerReady;
  const status: LiveStreamStatus = {
    phase: live ? 'Live' : 'Scheduling',
    edges: edges.edges,
    edgeCount: edges.edges.length,
    viewers: f.viewers,
    conditions,
    observedGeneration: f.generation,
  };
  if (origin?.placed) status.origin = origin.ref;
  return status;
}
