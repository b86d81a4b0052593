import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SfuControl } from '@vilokanam/sfu-node/client';
import type { NotificationMap } from '@vilokanam/contracts/signaling';
import type { Fleet } from '../fleet/Fleet.ts';
import type { StreamRoutes } from '../fleet/StreamRoutes.ts';
import type { StreamRecord } from '../StreamStore.ts';
import type { HubMember, StreamHub } from '../ws/StreamHub.ts';
import { publisherAnswer, publisherPlan, type ParsedOffer } from './sdp.ts';

export interface WhipDeps {
  fleet: Fleet;
  routes: StreamRoutes;
  hub: StreamHub;
  log: Logger;
}

/**
 * A WHIP publisher (OBS, a browser WHIP client): the stream's publisher everywhere the studio's
 * is, to the hub (one per stream, grace on loss), the routes (its producers piped down every
 * edge) and so to metering and the LiveStream. Its resource lives until DELETE, or until its
 * transport fails or its node is lost; then the client posts again.
 */
export class WhipPublisher implements HubMember {
  readonly id = randomUUID();
  readonly role = 'publisher' as const;
  readonly account = undefined;
  readonly streamId: string;
  readonly nodeId: string;
  readonly #sfu: SfuControl;
  readonly #transportId: string;
  readonly #deps: WhipDeps;
  readonly #log: Logger;
  #closed = false;
  /** Called once, however the resource ends. */
  onClose: (() => void) | undefined;

  private constructor(deps: WhipDeps, streamId: string, nodeId: string, sfu: SfuControl, transportId: string) {
    this.#deps = deps;
    this.streamId = streamId;
    this.nodeId = nodeId;
    this.#sfu = sfu;
    this.#transportId = transportId;
    this.#log = deps.log.child({ whip: this.id, streamId });
  }

  /** Produces what the offer sends on the stream's origin and answers it. */
  static async open(deps: WhipDeps, stream: StreamRecord, offer: ParsedOffer): Promise<{ publisher: WhipPublisher; answer: string }> {
    const nodeId = await deps.routes.origin(stream.id);
    const sfu = deps.fleet.control(nodeId);
    if (!sfu) throw new Error('media node went away');
    const plan = publisherPlan(offer, await sfu.routerCapabilities(stream.id));
    const transport = await sfu.createTransport(stream.id, 'send');
    const publisher = new WhipPublisher(deps, stream.id, nodeId, sfu, transport.id);
    const produced: { id: string; kind: 'audio' | 'video' }[] = [];
    try {
      await sfu.connectTransport(transport.id, offer.dtls);
      for (const p of plan) produced.push({ id: (await sfu.produce(transport.id, p.kind, p.rtpParameters, { whip: true })).id, kind: p.kind });
    } catch (err) {
      sfu.closeTransport(transport.id);
      throw err;
    }
    deps.hub.join(publisher, stream.id);
    deps.hub.ownTransport(transport.id, publisher);
    for (const p of produced) void deps.routes.producerAdded(stream.id, p.id, p.kind);
    publisher.#log.info({ nodeId, producers: produced.length }, 'WHIP publisher joined');
    return { publisher, answer: publisherAnswer(offer, transport, plan) };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** New ICE credentials for an ICE restart (a PATCH with new ones of the client's). */
  async restartIce(): Promise<{ usernameFragment: string; password: string }> {
    return (await this.#sfu.restartIce(this.#transportId)) as { usernameFragment: string; password: string };
  }

  notify<K extends keyof NotificationMap>(_event: K, _data: NotificationMap[K]): void {
    // WHIP has no channel back to the publisher; what it needs to know is in HTTP answers.
  }

  overdraft(): void {
    // Publishers are never billed.
  }

  dropConsumer(): void {}

  /** The hub lets it go (replaced, node lost, transport failed): the client posts again. */
  disconnect(_code: number, reason: string): void {
    this.close(reason);
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    // Closing the transport closes its producers; viewers hear of it through the node's events.
    this.#sfu.closeTransport(this.#transportId);
    this.#deps.hub.leave(this, this.streamId);
    this.#log.info({ reason }, 'WHIP publisher left');
    this.onClose?.();
  }
}
