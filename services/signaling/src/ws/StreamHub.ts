import type { Logger } from 'pino';
import type { SfuControl } from '@vilokanam/sfu-node';
import type { Fleet } from '../fleet/Fleet.ts';
import type { StreamRoutes } from '../fleet/StreamRoutes.ts';
import type { SignalingMetrics } from '../metrics.ts';
import { CloseCode, type NotificationMap, type Role } from '@vilokanam/contracts/signaling';
import { ViewerCounts } from './ViewerCounts.ts';
import type { StreamRecord, StreamStore } from '../StreamStore.ts';
import { HttpError } from '../http/errors.ts';

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
 */
export class StreamHub {
  readonly #members = new Map<string, Set<HubMember>>();
  readonly #byId = new Map<string, HubMember>();
  readonly #publishers = new Map<string, HubMember>();
  readonly #graceTimers = new Map<string, NodeJS.Timeout>();
  readonly #transportOwner = new Map<string, HubMember>();
  readonly #consumerOwner = new Map<string, HubMember>();
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
  /** Each viewer's latest freeze report, by stream then session: one entry per member at most. */
  readonly #quality = new Map<string, Map<string, { at: number; freezes: number }>>();

  constructor(deps: {
    store: StreamStore;
    fleet: Fleet;
    routes: StreamRoutes;
    log: Logger;
    metrics: SignalingMetrics;
    publisherGraceMs: number;
  }) {
    this.#store = deps.store;
    this.#fleet = deps.fleet;
    this.#routes = deps.routes;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#graceMs = deps.publisherGraceMs;
    this.#viewerCounts = new ViewerCounts((id, n) => deps.store.recordViewers(id, n), deps.log);
    for (const [nodeId, control] of deps.fleet.controls()) this.#wireNode(nodeId, control);
    deps.fleet.on('nodeup', ({ nodeId }) => {
      const control = deps.fleet.control(nodeId);
      if (control) this.#wireNode(nodeId, control);
    });
    this.#wireRoutes();
  }

  /** The stream's publisher here, if one is connected. */
  hasPublisher(streamId: string): boolean {
    return this.#publishers.has(streamId);
  }

  viewerCount(streamId: string): number {
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
      clearTimeout(this.#graceTimers.get(streamId));
      this.#graceTimers.delete(streamId);
      // A reconnecting studio takes over; the stale tab must not keep producing.
      if (previous && previous !== member) previous.disconnect(CloseCode.replacedByNewPublisher, 'replaced by a new publisher');
      this.#metrics.liveStreams.set(this.#publishers.size);
    } else {
      this.#broadcastViewers(streamId);
    }
    this.#metrics.sessions.inc({ role: member.role });
  }

  leave(member: HubMember, streamId: string): void {
    const set = this.#members.get(streamId);
    if (!set?.delete(member)) return;
    this.#byId.delete(member.id);
    if (set.size === 0) this.#members.delete(streamId);
    for (const [id, owner] of this.#transportOwner) if (owner === member) this.#transportOwner.delete(id);
    for (const [id, owner] of this.#consumerOwner) if (owner === member) this.#consumerOwner.delete(id);
    this.#metrics.sessions.dec({ role: member.role });
    if (member.role === 'viewer') {
      this.#quality.get(streamId)?.delete(member.id);
      this.#broadcastViewers(streamId);
      return;
    }
    if (this.#publishers.get(streamId) !== member) return;
    this.#publishers.delete(streamId);
    this.#metrics.liveStreams.set(this.#publishers.size);
    // Give a dropped studio time to come back before telling viewers the stream is over.
    this.#armGrace(streamId);
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
    this.#transportOwner.set(transportId, member);
  }

  ownConsumer(consumerId: string, member: HubMember): void {
    this.#consumerOwner.set(consumerId, member);
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

  /** A started stream nobody publishes to ends after the same grace as one whose publisher left. */
  streamStarted(streamId: string): void {
    this.broadcast(streamId, 'streamLive', {});
    this.#runHooks(this.#startedHooks, streamId, 'stream started hook failed');
    if (!this.#publishers.has(streamId)) this.#armGrace(streamId);
  }

  /** A viewer's report of its picture's freezes in the last minute. */
  reportQuality(streamId: string, sessionId: string, freezesLastMinute: number): void {
    if (!this.#byId.has(sessionId)) return;
    let reports = this.#quality.get(streamId);
    if (!reports) this.#quality.set(streamId, (reports = new Map()));
    reports.set(sessionId, { at: Date.now(), freezes: freezesLastMinute });
  }

  /** Freezes viewers reported within the last 30 s: how many, and how many viewers froze. */
  viewerQuality(streamId: string): { reporting: number; freezing: number; freezesLastMinute: number } {
    const now = Date.now();
    let reporting = 0;
    let freezing = 0;
    let freezesLastMinute = 0;
    for (const [sessionId, r] of this.#quality.get(streamId) ?? []) {
      if (now - r.at > 30_000 || !this.#byId.has(sessionId)) continue;
      reporting++;
      if (r.freezes > 0) freezing++;
      freezesLastMinute += r.freezes;
    }
    return { reporting, freezing, freezesLastMinute };
  }

  /** Runs once a stream is live (go-live notifications). */
  onStreamStarted(hook: (streamId: string) => void): void {
    this.#startedHooks.push(hook);
  }

  /** Runs as a stream ends, before its route is torn down (the recorder still has its origin). */
  onStreamEnding(hook: (streamId: string) => void): void {
    this.#endingHooks.push(hook);
  }

  streamEnded(streamId: string, reason: NotificationMap['streamEnded']['reason']): void {
    clearTimeout(this.#graceTimers.get(streamId));
    this.#graceTimers.delete(streamId);
    this.#runHooks(this.#endingHooks, streamId, 'stream ending hook failed');
    this.#quality.delete(streamId);
    this.broadcast(streamId, 'streamEnded', { reason });
    this.#routes.endStream(streamId);
    this.#log.info({ streamId, reason }, 'stream ended');
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

  close(): void {
    this.#viewerCounts.close();
    for (const t of this.#graceTimers.values()) clearTimeout(t);
    this.#graceTimers.clear();
  }

  async #endAfterGrace(streamId: string): Promise<void> {
    this.#graceTimers.delete(streamId);
    if (this.#publishers.has(streamId)) return;
    try {
      const stream = await this.#store.get(streamId);
      if (stream?.status !== 'live') return;
      await this.#store.markEnded(streamId);
      this.streamEnded(streamId, 'publisher_left');
    } catch (err) {
      this.#log.error({ err, streamId }, 'failed to end stream after publisher left');
    }
  }

  #broadcastViewers(streamId: string): void {
    const count = this.viewerCount(streamId);
    this.#viewerCounts.report(streamId, count);
    this.broadcast(streamId, 'viewers', { count });
  }

  #wireNode(nodeId: string, sfu: SfuControl): void {
    if (this.#wired.has(sfu)) return;
    this.#wired.add(sfu);
    sfu.on('producerclose', ({ streamId, producerId }) => {
      this.broadcast(streamId, 'producerClosed', { producerId }, { role: 'viewer', nodeId });
      this.#routes.producerClosed(streamId, nodeId, producerId);
    });
    sfu.on('consumerclose', ({ consumerId }) => {
      const owner = this.#consumerOwner.get(consumerId);
      owner?.dropConsumer(consumerId);
      owner?.notify('consumerClosed', { consumerId });
      this.#consumerOwner.delete(consumerId);
    });
    sfu.on('consumerlayers', (e) => this.#consumerOwner.get(e.consumerId)?.notify('consumerLayers', e));
    sfu.on('consumerpause', (e) => this.#consumerOwner.get(e.consumerId)?.notify('consumerPaused', e));
    sfu.on('consumerresume', (e) => this.#consumerOwner.get(e.consumerId)?.notify('consumerResumed', e));
    sfu.on('transportclose', ({ transportId }) => {
      // A transport whose DTLS failed is useless; the tab reconnects from scratch.
      this.#transportOwner.get(transportId)?.disconnect(CloseCode.mediaNodeLost, 'media transport failed');
    });
    sfu.on('streamclose', ({ streamId, reason }) => {
      if (reason !== 'worker_died') return;
      this.#routes.nodeLost(nodeId, streamId);
      this.#disconnectAll(streamId, nodeId, 'media node restarted');
    });
  }

  #wireRoutes(): void {
    this.#routes.on('producerready', ({ streamId, nodeId, producerId, kind }) =>
      this.broadcast(streamId, 'producerAdded', { producerId, kind }, { role: 'viewer', nodeId }),
    );
    this.#routes.on('nodelost', ({ streamId, nodeId, wasOrigin }) =>
      this.#disconnectAll(streamId, wasOrigin ? undefined : nodeId, wasOrigin ? 'origin lost' : 'edge lost'),
    );
  }
}
