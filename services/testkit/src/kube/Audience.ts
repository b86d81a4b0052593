// A publisher and viewers made of real mediasoup objects on a real sfu-node, through its
// control channel: an audio and a video producer, and per viewer a receive transport with one
// consumer of each. The node's load reports then count them as any browser's would.
import type { Logger } from 'pino';
import { ControlAuth, RemoteSfu } from '@vilokanam/sfu-node';

const AUDIO = { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 11111111 }] };
const VIDEO = { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }], encodings: [{ ssrc: 22222222 }] };

export class Audience {
  readonly #control: RemoteSfu;
  readonly #streamId: string;
  readonly #producers: string[];
  readonly #caps: unknown;
  readonly #viewers: string[] = [];

  private constructor(control: RemoteSfu, streamId: string, producers: string[], caps: unknown) {
    this.#control = control;
    this.#streamId = streamId;
    this.#producers = producers;
    this.#caps = caps;
  }

  static async publish(opts: { nodeId: string; controlUrl: string; streamId: string; secret: string; log: Logger }): Promise<Audience> {
    const control = new RemoteSfu({ nodeId: opts.nodeId, url: opts.controlUrl, auth: new ControlAuth(opts.secret), caller: 'test-audience', log: opts.log });
    const caps = await control.routerCapabilities(opts.streamId);
    const send = await control.createTransport(opts.streamId, 'send');
    const audio = await control.produce(send.id, 'audio', AUDIO);
    const video = await control.produce(send.id, 'video', VIDEO);
    return new Audience(control, opts.streamId, [audio.id, video.id], caps);
  }

  get viewers(): number {
    return this.#viewers.length;
  }

  async join(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const recv = await this.#control.createTransport(this.#streamId, 'recv');
      for (const producerId of this.#producers) await this.#control.consume(recv.id, producerId, this.#caps);
      this.#viewers.push(recv.id);
    }
  }

  /** Viewers leave: closing a transport closes its consumers. */
  async leave(n: number): Promise<void> {
    for (const id of this.#viewers.splice(0, n)) this.#control.closeTransport(id);
    // The closes are fire-and-forget; a call after them proves the node handled them.
    await this.#control.producers(this.#streamId);
  }

  close(): void {
    this.#control.close();
  }
}
