import type { Logger } from 'pino';
import type { SfuControl } from '@vilokanam/sfu-node';
import type { Fleet } from '../fleet/Fleet.ts';
import type { StreamRoutes } from '../fleet/StreamRoutes.ts';
import type { SignalingMetrics } from '../metrics.ts';
import { CloseCode, type NotificationMap, type Role } from '@vilokanam/contracts/signaling';
import { ViewerCounts } from './ViewerCounts.ts';
import type { StreamRecord, StreamStore } from '../StreamStore.ts';
import { HttpError } from '../http/errors.ts';
import type { HubBus } from './HubBus.ts';
import { HubPeers } from './HubPeers.ts';
import { LiveLeases } from './LiveLeases.ts';
import { MediaOwners } from './MediaOwners.ts';
import { ViewerQuality } from './ViewerQuality.ts';

/** What the hub needs from a connected tab. */
export interface HubMember {
  readonly id: string;
  readonly role: Role | undefined;
  /** The media node this tab's transports live on. */
  readonly nodeId: string | undefined;
  /** The signed-in account the tab joined as, if any. */
  readonly account: string | undefined;
  notify<K extends keyof NotificationMap>(event: K, data: NotificationMap[K]): void;
  /** Billing stopped this tab's account: its media must stop. */
  overdraft(reason?: 'overdrawn' | 'low_balance' | 'spending_cap'): void;
  /** The node closed one of the tab's consumers. */
  dropConsumer(consumerId: string): void;
  /** Closes the socket; the client reconnects unless the code says otherwise. */
  disconnect(code: number, reason: string): void;
}

/**
 * Who is in which stream: viewer counts, the single publisher per stream, and the routing
 * of SFU events to the tab that owns the transport or consumer they concern.
 *
 * Several replicas may serve one stream: its publisher on one, viewers on any. Each knows its
 * own tabs, and tells the others through the bus what they need (publishers joining and
 * leaving, producers ready, streams going live and ending, its viewer counts). Who keeps a
 * stream live is decided in the database: the replica holding its lease (LiveLeases).
 */
export class StreamHub {
  readonly #members = new Map<string, Set<HubMember>>();
  readonly #byId = new Map<string, HubMember>();
  readonly #publishers = new Map<string, HubMember>();
  readonly #graceTimers = new Map<string, NodeJS.Timeout>();
  readonly #owners = new MediaOwners();
  readonly #store: StreamStore;
  readonly #fleet: Fleet;
  readonly #routes: StreamRoutes;
  readonly #wired = new WeakSet<SfuControl>();
  readonly #log: Logger;
  readonly #metrics: SignalingMetrics;
  readonly #graceMs: number;
  readonly #endingHooks: ((streamId: string) => void)[] = [];
  readonly #startedHooks: ((streamId: string) => void)[] = [];
  readonly #viewerCounts: ViewerCounts;
  readonly #quality = new ViewerQuality();
  /** The other replicas: their viewers and publishers, and what they tell of their streams. */
  readonly #peers: HubPeers;
  readonly #leases: LiveLeases;
  /** Streams whose publisher joined here and whose lease claim is still in flight. */
  readonly #claiming = new Set<string>();
  /** When each local publisher joined. */
  readonly #since = new Map<string, number>();

  constructor(deps: {
    store: StreamStore;
    fleet: Fleet;
    routes: StreamRoutes;
    log: Logger;
    metrics: SignalingMetrics;
    publisherGraceMs: number;
    bus: HubBus;
  }) {
    this.#store = deps.store;
    this.#fleet = deps.fleet;
    this.#routes = deps.routes;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#graceMs = deps.publisherGraceMs;
    this.#viewerCounts = new ViewerCounts((id, n) => deps.store.recordViewers(id, n), deps.log);
    this.#peers = new HubPeers({
      bus: deps.bus,
      store: deps.store,
      log: deps.log,
      local: () => ({ viewers: this.#localCounts(), publishers: Object.fromEntries(this.#since) }),
      events: {
        viewersChanged: (streamId) => {
          if (this.#members.has(streamId)) this.#showViewers(streamId);
        },
        publisherElsewhere: (streamId) => this.#publisherElsewhere(streamId),
        producerReady: (streamId, nodeId, producerId, kind) => this.broadcast(streamId, 'producerAdded', { producerId, kind }, { role: 'viewer', nodeId }),
        live: (streamId) => this.broadcast(streamId, 'streamLive', {}),
        ended: (streamId, reason) => this.#endHere(streamId, reason),
      },
    });
    this.#leases = new LiveLeases({
      store: deps.store,
      log: deps.log,
      // Renewed only where this replica still holds the lease; where it does not, `lost` sorts it out.
      held: () => [...new Set([...this.#publishers.keys(), ...this.#graceTimers.keys()])],
      lost: (ids) => ids.forEach((id) => void this.#leaseLost(id)),
      expired: (ids) => ids.forEach((id) => this.streamEnded(id, 'publisher_left')),
    });
    this.#leases.start();
    for (const [nodeId, control] of deps.fleet.controls()) this.#wireNode(nodeId, control);
    deps.fleet.on('nodeup', ({ nodeId }) => {
      const control = deps.fleet.control(nodeId);
      if (control) this.#wireNode(nodeId, control);
    });
    this.#wireRoutes();
  }

  /** This replica among the fleet's signaling replicas. */
  get replicaId(): string {
    return this.#peers.replicaId;
  }

  /** Whether the stream's publisher is connected, here or on a replica heard from in time. */
  hasPublisher(streamId: string): boolean {
    return this.#publishers.has(streamId) || this.#peers.publisher(streamId) !== undefined;
  }

  /** Viewers of the stream on every replica. */
  viewerCount(streamId: string): number {
    return this.#localViewers(streamId) + this.#peers.viewers(streamId);
  }

  /** Viewers of the stream on the other replicas. */
  viewersElsewhere(streamId: string): number {
    return this.#peers.viewers(streamId);
  }

  #localViewers(streamId: string): number {
    let n = 0;
    for (const m of this.#members.get(streamId) ?? []) if (m.role === 'viewer') n++;
    return n;
  }

  join(member: HubMember, streamId: string): void {
    let set = this.#members.get(streamId);
    if (!set) this.#members.set(streamId, (set = new Set()));
    set.add(member);
    this.#byId.set(member.id, member);
    if (member.role === 'publisher') {
      const previous = this.#publishers.get(streamId);
      this.#publishers.set(streamId, member);
      this.#since.set(streamId, Date.now());
      this.#clearGrace(streamId);
      // A reconnecting studio takes over; the stale tab must not keep producing.
      if (previous && previous !== member) previous.disconnect(CloseCode.replacedByNewPublisher, 'replaced by a new publisher');
      this.#metrics.liveStreams.set(this.#publishers.size);
      void this.#claim(streamId, member);
    } else {
      this.#viewersChanged(streamId);
    }
    this.#metrics.sessions.inc({ role: member.role });
  }

  leave(member: HubMember, streamId: string): void {
    const set = this.#members.get(streamId);
    if (!set?.delete(member)) return;
    this.#byId.delete(member.id);
    if (set.size === 0) this.#members.delete(streamId);
    this.#owners.forget(member);
    this.#metrics.sessions.dec({ role: member.role });
    if (member.role === 'viewer') {
      this.#quality.left(streamId, member.id);
      this.#viewersChanged(streamId);
      return;
    }
    if (this.#publishers.get(streamId) !== member) return;
    this.#publishers.delete(streamId);
    this.#since.delete(streamId);
    this.#metrics.liveStreams.set(this.#publishers.size);
    this.#peers.tell({ t: 'publisher', streamId, present: false, since: 0 });
    // Replaced by a publisher on another replica, which holds the stream now.
    if (this.#peers.publisher(streamId)) return;
    // Give a dropped studio time to come back before telling viewers the stream is over.
    this.#armGrace(streamId);
  }

  /** The lease is this replica's once its publisher is here; the others hear of it then. */
  async #claim(streamId: string, member: HubMember): Promise<void> {
    this.#claiming.add(streamId);
    try {
      if (!(await this.#store.claimLease(streamId))) return;
      const since = this.#since.get(streamId);
      if (this.#publishers.get(streamId) === member && since !== undefined) this.#peers.tell({ t: 'publisher', streamId, present: true, since });
    } catch (err) {
      this.#log.error({ err, streamId }, 'live lease not claimed');
    } finally {
      this.#claiming.delete(streamId);
    }
  }

  #clearGrace(streamId: string): void {
    clearTimeout(this.#graceTimers.get(streamId));
    this.#graceTimers.delete(streamId);
  }

  #armGrace(streamId: string): void {
    clearTimeout(this.#graceTimers.get(streamId));
    this.#graceTimers.set(
      streamId,
      setTimeout(() => void this.#endAfterGrace(streamId), this.#graceMs).unref(),
    );
  }

  /**
   * Settlement stopped an account (it may have sessions on other signaling processes, which
   * hear the same message): every session of it here stops, not only the one reported.
   * Returns how many were stopped.
   */
  overdraft(msg: { sessionId: string; viewer: string; reason?: 'overdrawn' | 'low_balance' | 'spending_cap' | undefined }): number {
    const stopped = new Set<HubMember>();
    const reported = this.#byId.get(msg.sessionId);
    if (reported) stopped.add(reported);
    for (const member of this.#byId.values()) if (member.account === msg.viewer) stopped.add(member);
    for (const member of stopped) member.overdraft(msg.reason ?? 'overdrawn');
    return stopped.size;
  }

  ownTransport(transportId: string, member: HubMember): void {
    this.#owners.ownTransport(transportId, member);
  }

  ownConsumer(consumerId: string, member: HubMember): void {
    this.#owners.ownConsumer(consumerId, member);
  }

  broadcast<K extends keyof NotificationMap>(
    streamId: string,
    event: K,
    data: NotificationMap[K],
    filter: { role?: Role; nodeId?: string } = {},
  ): void {
    for (const m of this.#members.get(streamId) ?? []) {
      if ((!filter.role || m.role === filter.role) && (!filter.nodeId || m.nodeId === filter.nodeId)) m.notify(event, data);
    }
  }

  #disconnectAll(streamId: string, nodeId: string | undefined, reason: string): void {
    for (const m of [...(this.#members.get(streamId) ?? [])]) {
      if (!nodeId || m.nodeId === nodeId) m.disconnect(CloseCode.mediaNodeLost, reason);
    }
  }

  /** Before a stream is marked live: placement may refuse it (the cluster is unreachable). */
  async streamStarting(stream: StreamRecord): Promise<void> {
    try {
      await this.#routes.streamStarting(stream);
    } catch (err) {
      this.#log.error({ streamId: stream.id, err }, 'stream placement refused');
      throw new HttpError(503, 'unavailable', `the stream cannot be placed: ${(err as Error).message}`);
    }
  }

  /**
   * The stream went live here (store.markLive gave this replica its lease). A started stream
   * nobody publishes to ends after the same grace as one whose publisher left.
   */
  streamStarted(streamId: string): void {
    this.broadcast(streamId, 'streamLive', {});
    this.#peers.tell({ t: 'live', streamId });
    this.#runHooks(this.#startedHooks, streamId, 'stream started hook failed');
    if (!this.#publishers.has(streamId)) this.#armGrace(streamId);
  }

  /** A viewer's report of its picture's freezes in the last minute. */
  reportQuality(streamId: string, sessionId: string, freezesLastMinute: number): void {
    if (this.#byId.has(sessionId)) this.#quality.report(streamId, sessionId, freezesLastMinute);
  }

  /** Freezes this replica's viewers reported within the last 30 s: how many, and how many viewers froze. */
  viewerQuality(streamId: string): { reporting: number; freezing: number; freezesLastMinute: number } {
    return this.#quality.summary(streamId, (id) => this.#byId.has(id));
  }

  /** Runs once a stream is live (go-live notifications). */
  onStreamStarted(hook: (streamId: string) => void): void {
    this.#startedHooks.push(hook);
  }

  /** Runs as a stream ends, before its route is torn down (the recorder still has its origin). */
  onStreamEnding(hook: (streamId: string) => void): void {
    this.#endingHooks.push(hook);
  }

  /** This replica ended the stream in the database: its hooks run here, and every replica tells its tabs. */
  streamEnded(streamId: string, reason: NotificationMap['streamEnded']['reason']): void {
    this.#clearGrace(streamId);
    // Hooks first: the recorder's origin is still in the route.
    this.#runHooks(this.#endingHooks, streamId, 'stream ending hook failed');
    this.#endHere(streamId, reason);
    this.#peers.tell({ t: 'ended', streamId, reason });
    this.#log.info({ streamId, reason }, 'stream ended');
  }

  #endHere(streamId: string, reason: NotificationMap['streamEnded']['reason']): void {
    this.#clearGrace(streamId);
    this.#quality.ended(streamId);
    this.#peers.forget(streamId);
    this.broadcast(streamId, 'streamEnded', { reason });
    this.#routes.endStream(streamId);
  }

  #runHooks(hooks: ((streamId: string) => void)[], streamId: string, failure: string): void {
    for (const hook of hooks) {
      try {
        hook(streamId);
      } catch (err) {
        this.#log.error({ err, streamId }, failure);
      }
    }
  }

  /** Stops renewing: this replica's streams stay live until their lease passes or a publisher reconnects elsewhere. */
  close(): void {
    this.#leases.close();
    this.#peers.close();
    this.#viewerCounts.close();
    for (const t of this.#graceTimers.values()) clearTimeout(t);
    this.#graceTimers.clear();
  }

  async #endAfterGrace(streamId: string): Promise<void> {
    this.#graceTimers.delete(streamId);
    if (this.#publishers.has(streamId)) return;
    try {
      // Not ended if the publisher came back on another replica, which holds the lease now.
      const ended = await this.#store.endIfHeld(streamId);
      if (ended) this.streamEnded(streamId, 'publisher_left');
    } catch (err) {
      this.#log.error({ err, streamId }, 'failed to end stream after publisher left');
    }
  }

  /** A stream this replica renews was not renewed: another replica took it over, or it ended. */
  async #leaseLost(streamId: string): Promise<void> {
    if (this.#claiming.has(streamId)) return;
    try {
      const holder = await this.#store.leaseHolder(streamId);
      if (holder === this.#peers.replicaId) return;
      // The ending was missed on the bus; the database says it.
      if (holder === undefined) return this.#endHere(streamId, 'publisher_left');
      this.#publisherElsewhere(streamId);
    } catch (err) {
      this.#log.warn({ err, streamId }, 'lost live lease not checked');
    }
  }

  /** The local count changed: the others hear of it, and every count shown is the total. */
  #viewersChanged(streamId: string): void {
    this.#peers.announceViewers(streamId, this.#localViewers(streamId));
    this.#showViewers(streamId);
  }

  #showViewers(streamId: string): void {
    const count = this.viewerCount(streamId);
    this.#viewerCounts.report(streamId, count);
    this.broadcast(streamId, 'viewers', { count });
  }

  #localCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const streamId of this.#members.keys()) {
      const n = this.#localViewers(streamId);
      if (n > 0) counts[streamId] = n;
    }
    return counts;
  }

  /** Its lease is that replica's now: a grace here is moot, and a publisher still here is a stale tab. */
  #publisherElsewhere(streamId: string): void {
    if (this.#claiming.has(streamId)) return;
    this.#clearGrace(streamId);
    this.#publishers.get(streamId)?.disconnect(CloseCode.replacedByNewPublisher, 'replaced by a new publisher');
  }

  #wireNode(nodeId: string, sfu: SfuControl): void {
    if (this.#wired.has(sfu)) return;
    this.#wired.add(sfu);
    sfu.on('producerclose', ({ streamId, producerId }) => {
      this.broadcast(streamId, 'producerClosed', { producerId }, { role: 'viewer', nodeId });
      this.#routes.producerClosed(streamId, nodeId, producerId);
    });
    // Every replica hears every node's events over its own control channel.
    this.#owners.wire(sfu);
    sfu.on('streamclose', ({ streamId, reason }) => {
      if (reason !== 'worker_died') return;
      this.#routes.nodeLost(nodeId, streamId);
      this.#disconnectAll(streamId, nodeId, 'media node restarted');
    });
  }

  #wireRoutes(): void {
    this.#routes.on('producerready', ({ streamId, nodeId, producerId, kind }) => {
      this.broadcast(streamId, 'producerAdded', { producerId, kind }, { role: 'viewer', nodeId });
      // Viewers on that node may be joined to any replica.
      this.#peers.tell({ t: 'producer', streamId, nodeId, producerId, kind });
    });
    this.#routes.on('nodelost', ({ streamId, nodeId, wasOrigin }) =>
      this.#disconnectAll(streamId, wasOrigin ? undefined : nodeId, wasOrigin ? 'origin lost' : 'edge lost'),
    );
  }
}
