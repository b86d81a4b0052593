import type { Logger } from 'pino';
import type { SfuControl } from '@vilokanam/sfu-node';
import type { SignalingMetrics } from '../metrics.ts';
import { CloseCode, type NotificationMap, type Role } from '../protocol.ts';
import type { StreamStore } from '../StreamStore.ts';

/** What the hub needs from a connected tab. */
export interface HubMember {
  readonly id: string;
  readonly role: Role | undefined;
  notify<K extends keyof NotificationMap>(event: K, data: NotificationMap[K]): void;
  /** Closes the socket; the client reconnects unless the code says otherwise. */
  disconnect(code: number, reason: string): void;
}

/**
 * Who is in which stream: viewer counts, the single publisher per stream, and the routing
 * of SFU events to the tab that owns the transport or consumer they concern.
 */
export class StreamHub {
  readonly #members = new Map<string, Set<HubMember>>();
  readonly #publishers = new Map<string, HubMember>();
  readonly #graceTimers = new Map<string, NodeJS.Timeout>();
  readonly #transportOwner = new Map<string, HubMember>();
  readonly #consumerOwner = new Map<string, HubMember>();
  readonly #store: StreamStore;
  readonly #sfu: SfuControl;
  readonly #log: Logger;
  readonly #metrics: SignalingMetrics;
  readonly #graceMs: number;

  constructor(deps: { store: StreamStore; sfu: SfuControl; log: Logger; metrics: SignalingMetrics; publisherGraceMs: number }) {
    this.#store = deps.store;
    this.#sfu = deps.sfu;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#graceMs = deps.publisherGraceMs;
    this.#wireSfuEvents();
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
    if (set.size === 0) this.#members.delete(streamId);
    for (const [id, owner] of this.#transportOwner) if (owner === member) this.#transportOwner.delete(id);
    for (const [id, owner] of this.#consumerOwner) if (owner === member) this.#consumerOwner.delete(id);
    this.#metrics.sessions.dec({ role: member.role });
    if (member.role === 'viewer') {
      this.#broadcastViewers(streamId);
      return;
    }
    if (this.#publishers.get(streamId) !== member) return;
    this.#publishers.delete(streamId);
    this.#metrics.liveStreams.set(this.#publishers.size);
    // Give a dropped studio time to come back before telling viewers the stream is over.
    this.#graceTimers.set(
      streamId,
      setTimeout(() => void this.#endAfterGrace(streamId), this.#graceMs).unref(),
    );
  }

  ownTransport(transportId: string, member: HubMember): void {
    this.#transportOwner.set(transportId, member);
  }

  ownConsumer(consumerId: string, member: HubMember): void {
    this.#consumerOwner.set(consumerId, member);
  }

  broadcast<K extends keyof NotificationMap>(streamId: string, event: K, data: NotificationMap[K], role?: Role): void {
    for (const m of this.#members.get(streamId) ?? []) if (!role || m.role === role) m.notify(event, data);
  }

  streamStarted(streamId: string): void {
    this.broadcast(streamId, 'streamLive', {});
  }

  streamEnded(streamId: string, reason: NotificationMap['streamEnded']['reason']): void {
    clearTimeout(this.#graceTimers.get(streamId));
    this.#graceTimers.delete(streamId);
    this.broadcast(streamId, 'streamEnded', { reason });
    this.#sfu.closeStream(streamId);
    this.#log.info({ streamId, reason }, 'stream ended');
  }

  close(): void {
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
    this.broadcast(streamId, 'viewers', { count: this.viewerCount(streamId) });
  }

  #wireSfuEvents(): void {
    this.#sfu.on('producerclose', ({ streamId, producerId }) => this.broadcast(streamId, 'producerClosed', { producerId }, 'viewer'));
    this.#sfu.on('consumerclose', ({ consumerId }) => {
      this.#consumerOwner.get(consumerId)?.notify('consumerClosed', { consumerId });
      this.#consumerOwner.delete(consumerId);
    });
    this.#sfu.on('consumerlayers', (e) => this.#consumerOwner.get(e.consumerId)?.notify('consumerLayers', e));
    this.#sfu.on('consumerpause', (e) => this.#consumerOwner.get(e.consumerId)?.notify('consumerPaused', e));
    this.#sfu.on('consumerresume', (e) => this.#consumerOwner.get(e.consumerId)?.notify('consumerResumed', e));
    this.#sfu.on('transportclose', ({ transportId }) => {
      // A transport whose DTLS failed is useless; the tab reconnects from scratch.
      this.#transportOwner.get(transportId)?.disconnect(CloseCode.mediaNodeLost, 'media transport failed');
    });
    this.#sfu.on('streamclose', ({ streamId, reason }) => {
      if (reason !== 'worker_died') return;
      for (const m of [...(this.#members.get(streamId) ?? [])]) m.disconnect(CloseCode.mediaNodeLost, 'media node restarted');
    });
  }
}
