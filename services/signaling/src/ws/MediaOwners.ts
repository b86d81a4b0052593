import type { SfuControl } from '@vilokanam/sfu-node';
import { CloseCode } from '@vilokanam/contracts/signaling';
import type { HubMember } from './StreamHub.ts';

/** Which tab owns each transport and consumer, so that a node's events about them reach it. */
export class MediaOwners {
  readonly #transports = new Map<string, HubMember>();
  readonly #consumers = new Map<string, HubMember>();

  ownTransport(transportId: string, member: HubMember): void {
    this.#transports.set(transportId, member);
  }

  ownConsumer(consumerId: string, member: HubMember): void {
    this.#consumers.set(consumerId, member);
  }

  /** The tab left: its transports and consumers are closed with it. */
  forget(member: HubMember): void {
    for (const [id, owner] of this.#transports) if (owner === member) this.#transports.delete(id);
    for (const [id, owner] of this.#consumers) if (owner === member) this.#consumers.delete(id);
  }

  /** Passes the node's consumer and transport events to their owners. */
  wire(sfu: SfuControl): void {
    sfu.on('consumerclose', ({ consumerId }) => {
      const owner = this.#consumers.get(consumerId);
      owner?.dropConsumer(consumerId);
      owner?.notify('consumerClosed', { consumerId });
      this.#consumers.delete(consumerId);
    });
    sfu.on('consumerlayers', (e) => this.#consumers.get(e.consumerId)?.notify('consumerLayers', e));
    sfu.on('consumerpause', (e) => this.#consumers.get(e.consumerId)?.notify('consumerPaused', e));
    sfu.on('consumerresume', (e) => this.#consumers.get(e.consumerId)?.notify('consumerResumed', e));
    sfu.on('transportclose', ({ transportId }) => {
      // A transport whose DTLS failed is useless; the tab reconnects from scratch.
      this.#transports.get(transportId)?.disconnect(CloseCode.mediaNodeLost, 'media transport failed');
    });
  }
}
