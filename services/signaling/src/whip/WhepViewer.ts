import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { SfuError, type SfuControl } from '@vilokanam/sfu-node/client';
import type { NotificationMap } from '@vilokanam/contracts/signaling';
import type { StreamRecord } from '../StreamStore.ts';
import type { MediaGrant } from '../TokenIssuer.ts';
import { Admission, type AdmissionDeps } from '../ws/Admission.ts';
import type { HubMember } from '../ws/StreamHub.ts';
import { HttpError } from '../http/errors.ts';
import { viewerAnswer, type ParsedOffer } from './sdp.ts';
import type { WhipDeps } from './WhipPublisher.ts';

export type WhepDeps = WhipDeps & AdmissionDeps;

/**
 * A WHEP viewer: routed like a browser viewer (origin or an edge with room), counted against
 * its account, and for a paid stream billed and metered like one, at the price in its token.
 * It has no channel for renegotiation: when its stream loses every consumer (the publisher
 * reconnected, the node went away), the resource ends and the player posts again.
 */
export class WhepViewer implements HubMember {
  readonly id = randomUUID();
  readonly role = 'viewer' as const;
  readonly streamId: string;
  #nodeId: string | undefined;
  #sfu: SfuControl | undefined;
  #transportId: string | undefined;
  readonly #consumers = new Set<string>();
  readonly #admission: Admission;
  readonly #deps: WhepDeps;
  readonly #log: Logger;
  #joined = false;
  #closed = false;
  onClose: (() => void) | undefined;

  private constructor(deps: WhepDeps, streamId: string) {
    this.#deps = deps;
    this.streamId = streamId;
    this.#admission = new Admission(deps, this.id);
    this.#log = deps.log.child({ whep: this.id, streamId });
  }

  static async open(deps: WhepDeps, stream: StreamRecord, grant: MediaGrant, offer: ParsedOffer): Promise<{ viewer: WhepViewer; answer: string }> {
    const viewer = new WhepViewer(deps, stream.id);
    try {
      const price = grant.pricePerSecond ?? stream.pricePerSecond;
      await viewer.#admission.admit(grant, stream, price);
      return { viewer, answer: await viewer.#connect(offer) };
    } catch (err) {
      viewer.close('refused');
      throw err;
    }
  }

  get nodeId(): string | undefined {
    return this.#nodeId;
  }

  get account(): string | undefined {
    return this.#admission.account;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Places the viewer, consumes every producer into the offer's sections, and answers. */
  async #connect(offer: ParsedOffer): Promise<string> {
    const { fleet, routes, hub } = this.#deps;
    const nodeId = await routes.viewerNode(this.streamId);
    const sfu = fleet.control(nodeId);
    if (!sfu) throw new Error('media node went away');
    [this.#nodeId, this.#sfu] = [nodeId, sfu];
    const transport = await sfu.createTransport(this.streamId, 'recv', {
      remoteCapabilities: offer.caps,
      ...(this.#admission.billed ? { sessionId: this.id } : {}),
    });
    this.#transportId = transport.id;
    await sfu.connectTransport(transport.id, offer.dtls);
    const producers = await sfu.producers(this.streamId);
    const consumers: { mid: string; kind: 'audio' | 'video'; id: string; rtpParameters: unknown }[] = [];
    for (const media of offer.media) {
      if (media.object.direction === 'sendonly' || media.object.direction === 'inactive') continue;
      const producer = producers.find((p) => p.kind === media.kind && !consumers.some((c) => c.kind === p.kind));
      if (!producer) continue;
      const c = await sfu.consume(transport.id, producer.producerId, offer.caps, { mid: media.mid }).catch((err: unknown) => {
        // The player offered no codec the stream sends: its offer cannot be answered.
        if (err instanceof SfuError && err.code === 'bad_request') throw new HttpError(422, 'bad_request', err.message);
        throw err;
      });
      consumers.push({ mid: media.mid, kind: c.kind, id: c.id, rtpParameters: c.rtpParameters });
    }
    if (consumers.length === 0) throw new HttpError(409, 'stream_not_live', 'the stream has no media yet: try again shortly');
    hub.join(this, this.streamId);
    routes.viewerJoined(this.streamId, nodeId);
    this.#joined = true;
    hub.ownTransport(transport.id, this);
    for (const c of consumers) {
      this.#consumers.add(c.id);
      hub.ownConsumer(c.id, this);
      // A WHEP player starts playing on its own; the node asks for a keyframe when DTLS is up.
      await sfu.resumeConsumer(c.id);
    }
    this.#log.info({ nodeId, consumers: consumers.length, billed: this.#admission.billed }, 'WHEP viewer joined');
    return viewerAnswer(offer, transport, consumers);
  }

  async restartIce(): Promise<{ usernameFragment: string; password: string }> {
    if (!this.#sfu || !this.#transportId) throw new HttpError(409, 'conflict', 'not connected');
    return (await this.#sfu.restartIce(this.#transportId)) as { usernameFragment: string; password: string };
  }

  notify<K extends keyof NotificationMap>(_event: K, _data: NotificationMap[K]): void {}

  /** The account ran out: the media stops at the node, as for a browser viewer. */
  overdraft(): void {
    for (const id of this.#consumers) this.#sfu?.pauseConsumer(id).catch((err: unknown) => this.#log.warn({ err, consumerId: id }, 'pause failed'));
    this.#log.info('account stopped: WHEP media paused');
  }

  dropConsumer(consumerId: string): void {
    this.#consumers.delete(consumerId);
    if (this.#consumers.size === 0 && this.#joined) this.close('no media left');
  }

  disconnect(_code: number, reason: string): void {
    this.close(reason);
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#transportId) this.#sfu?.closeTransport(this.#transportId);
    this.#admission.release();
    if (this.#joined) {
      this.#deps.hub.leave(this, this.streamId);
      this.#deps.routes.viewerLeft(this.streamId, this.#nodeId!);
    }
    this.#log.info({ reason }, 'WHEP viewer left');
    this.onClose?.();
  }
}
