import type { types } from 'mediasoup';
import type { SfuNodeConfig } from './config.ts';
import type { TransportDirection } from './SfuControl.ts';
import type { WorkerSlot } from './WorkerPool.ts';

export interface TransportEntry {
  transport: types.WebRtcTransport;
  direction: TransportDirection;
}

/** One live stream's media room: a router on one worker, with its transports. */
export class StreamRouter {
  readonly streamId: string;
  readonly router: types.Router;
  readonly slot: WorkerSlot;
  readonly transports = new Map<string, TransportEntry>();
  readonly pipes = new Map<string, types.PipeTransport>();
  readonly producers = new Map<string, types.Producer>();
  readonly consumers = new Map<string, types.Consumer>();
  /** Consumers per WebRTC transport: metering and the per-transport bound read this. */
  readonly #consumersByTransport = new Map<string, Set<types.Consumer>>();
  readonly #config: SfuNodeConfig;

  private constructor(streamId: string, router: types.Router, slot: WorkerSlot, config: SfuNodeConfig) {
    this.streamId = streamId;
    this.router = router;
    this.slot = slot;
    this.#config = config;
  }

  static async create(
    streamId: string,
    slot: WorkerSlot,
    config: SfuNodeConfig,
    mediaCodecs: types.RouterRtpCodecCapability[],
  ): Promise<StreamRouter> {
    const router = await slot.worker.createRouter({ mediaCodecs, appData: { streamId } });
    slot.routers++;
    router.observer.once('close', () => {
      slot.routers--;
    });
    return new StreamRouter(streamId, router, slot, config);
  }

  get closed(): boolean {
    return this.router.closed;
  }

  async createTransport(direction: TransportDirection): Promise<types.WebRtcTransport> {
    const { listenIp, announcedAddress, rtcMinPort, rtcMaxPort, initialOutgoingBitrate } = this.#config;
    const portRange = { min: rtcMinPort, max: rtcMaxPort };
    const transport = await this.router.createWebRtcTransport({
      listenInfos: [
        { protocol: 'udp', ip: listenIp, announcedAddress, portRange },
        { protocol: 'tcp', ip: listenIp, announcedAddress, portRange },
      ],
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: initialOutgoingBitrate,
      appData: { streamId: this.streamId, direction },
    });
    this.transports.set(transport.id, { transport, direction });
    transport.observer.once('close', () => this.transports.delete(transport.id));
    return transport;
  }

  async createPipeTransport(): Promise<types.PipeTransport> {
    const { listenIp, announcedAddress, rtcMinPort, rtcMaxPort } = this.#config;
    const pipe = await this.router.createPipeTransport({
      listenInfo: { protocol: 'udp', ip: listenIp, announcedAddress, portRange: { min: rtcMinPort, max: rtcMaxPort } },
      // Plain RTP never crosses hosts; RTX repairs loss on the inter-node link.
      enableSrtp: true,
      enableRtx: true,
      appData: { streamId: this.streamId },
    });
    this.pipes.set(pipe.id, pipe);
    pipe.observer.once('close', () => this.pipes.delete(pipe.id));
    return pipe;
  }

  trackConsumer(consumer: types.Consumer, transportId: string): void {
    this.consumers.set(consumer.id, consumer);
    let set = this.#consumersByTransport.get(transportId);
    if (!set) this.#consumersByTransport.set(transportId, (set = new Set()));
    set.add(consumer);
    consumer.observer.once('close', () => {
      this.consumers.delete(consumer.id);
      set.delete(consumer);
      if (set.size === 0 && this.#consumersByTransport.get(transportId) === set) this.#consumersByTransport.delete(transportId);
    });
  }

  consumersOn(transportId: string): types.Consumer[] {
    return [...(this.#consumersByTransport.get(transportId) ?? [])];
  }

  close(): void {
    this.router.close();
  }
}
