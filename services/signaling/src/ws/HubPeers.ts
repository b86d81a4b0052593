import type { Logger } from 'pino';
import type { NotificationMap } from '@vilokanam/contracts/signaling';
import type { StreamStore } from '../StreamStore.ts';
import type { HubBus } from './HubBus.ts';
import type { HubMessage, HubMessageBody } from './HubMessage.ts';
import { leaseTiming } from './LiveLeases.ts';
import { ReplicaTable } from './ReplicaTable.ts';
import { ViewerCounts } from './ViewerCounts.ts';

type EndReason = NotificationMap['streamEnded']['reason'];

/** What the other replicas did that this one's tabs must hear of. */
export interface PeerEvents {
  /** The stream's viewers on the other replicas changed (or a replica went quiet). */
  viewersChanged(streamId: string): void;
  /** A publisher joined another replica, which the database says holds the stream's lease now. */
  publisherElsewhere(streamId: string): void;
  producerReady(streamId: string, nodeId: string, producerId: string, kind: 'audio' | 'video'): void;
  live(streamId: string): void;
  /** Another replica ended the stream, and the database says it is over. */
  ended(streamId: string, reason: EndReason): void;
}

/**
 * This replica's side of the hub bus: what it tells the others, and what it makes of what
 * they say. Counts and presence are taken as said (a forgery can only skew a figure until the
 * next heartbeat); a notice that would stop someone's stream or publisher is first checked
 * against the database.
 */
export class HubPeers {
  readonly #bus: HubBus;
  readonly #store: StreamStore;
  readonly #log: Logger;
  readonly #events: PeerEvents;
  readonly #local: () => { viewers: Record<string, number>; publishers: Record<string, number> };
  readonly #table: ReplicaTable;
  /** This replica's own counts go out at most this often per stream; the heartbeat restates them. */
  readonly #announced: ViewerCounts;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(d: {
    bus: HubBus;
    store: StreamStore;
    log: Logger;
    events: PeerEvents;
    /** This replica's viewers per stream (non-zero only) and publishers with when they joined. */
    local: () => { viewers: Record<string, number>; publishers: Record<string, number> };
  }) {
    this.#bus = d.bus;
    this.#store = d.store;
    this.#log = d.log;
    this.#events = d.events;
    this.#local = d.local;
    // A replica silent for a whole lease is gone, as its streams stop being renewed by then.
    this.#table = new ReplicaTable(d.store.lease.seconds * 1000);
    this.#announced = new ViewerCounts(async (streamId, count) => d.bus.publish({ t: 'viewers', streamId, count }), d.log, 250);
    d.bus.onMessage((msg) => this.#receive(msg));
    this.#heartbeat = setInterval(() => this.#beat(), leaseTiming(d.store.lease.seconds).renewMs).unref();
  }

  get replicaId(): string {
    return this.#bus.replicaId;
  }

  /** The stream's viewers on the other replicas heard from in time. */
  viewers(streamId: string): number {
    return this.#table.viewers(streamId, Date.now());
  }

  /** The other replica holding the stream's publisher, if any. */
  publisher(streamId: string): { replica: string; since: number } | undefined {
    return this.#table.publisher(streamId, Date.now());
  }

  announceViewers(streamId: string, count: number): void {
    this.#announced.report(streamId, count);
  }

  tell(msg: HubMessageBody): void {
    this.#bus.publish(msg);
  }

  forget(streamId: string): void {
    this.#table.forgetStream(streamId);
  }

  close(): void {
    clearInterval(this.#heartbeat);
    this.#announced.close();
  }

  #beat(): void {
    this.#bus.publish({ t: 'alive', ...this.#local() });
    for (const streamId of this.#table.prune(Date.now())) this.#events.viewersChanged(streamId);
  }

  #receive(msg: HubMessage): void {
    const now = Date.now();
    const changed = (ids: string[]) => ids.forEach((id) => this.#events.viewersChanged(id));
    switch (msg.t) {
      case 'alive':
        return changed(this.#table.heartbeat(msg.replica, msg, now));
      case 'gone':
        return changed(this.#table.drop(msg.replica));
      case 'viewers':
        return changed(this.#table.setViewers(msg.replica, msg.streamId, msg.count, now) ? [msg.streamId] : []);
      case 'publisher':
        if (!msg.present) return this.#table.clearPublisher(msg.replica, msg.streamId);
        return void this.#publisherJoined(msg.replica, msg.streamId, msg.since);
      case 'producer':
        return this.#events.producerReady(msg.streamId, msg.nodeId, msg.producerId, msg.kind);
      case 'live':
        return this.#events.live(msg.streamId);
      case 'ended':
        return void this.#streamEnded(msg.streamId, msg.reason);
    }
  }

  async #publisherJoined(replica: string, streamId: string, since: number): Promise<void> {
    try {
      // A later claim (a newer publisher elsewhere) or a forgery: not the holder.
      if ((await this.#store.leaseHolder(streamId)) !== replica) return;
      this.#table.setPublisher(replica, streamId, since, Date.now());
      this.#events.publisherElsewhere(streamId);
    } catch (err) {
      this.#log.warn({ err, streamId }, 'publisher notice not checked');
    }
  }

  async #streamEnded(streamId: string, reason: EndReason): Promise<void> {
    try {
      const stream = await this.#store.get(streamId);
      if (stream?.status !== 'ended') return;
      this.#table.forgetStream(streamId);
      this.#events.ended(streamId, reason);
    } catch (err) {
      this.#log.warn({ err, streamId }, 'stream end notice not checked');
    }
  }
}
