import type { types } from 'mediasoup';
import type { SfuNodeConfig } from './config.ts';
import { mediaCodecs } from './config.ts';
import { SfuError } from './SfuControl.ts';
import { StreamRouter } from './StreamRouter.ts';

/**
 * mediasoup sends every consumer in its router's payload types. A WHEP player makes the offer,
 * so its answer must use the player's types, which differ per client. For such a viewer the
 * node opens a router whose codecs carry the player's payload types, pipes the stream's
 * producers into it on the same worker, and consumes there. The router goes with the viewer's
 * transport. (mediasoup has no per-consumer payload types yet: versatica/mediasoup#1126.)
 */
export class AnswerRouter {
  readonly room: StreamRouter;
  /** The stream this router copies. */
  readonly source: StreamRouter;
  /** The stream's producer id → its copy in this router. */
  readonly #piped = new Map<string, types.Producer>();

  private constructor(room: StreamRouter, source: StreamRouter) {
    this.room = room;
    this.source = source;
  }

  static async open(stream: StreamRouter, config: SfuNodeConfig, remoteCapabilities: unknown): Promise<AnswerRouter> {
    const codecs = codecsFor(remoteCapabilities as types.RtpCapabilities);
    if (!codecs.some((c) => c.kind === 'video') && !codecs.some((c) => c.kind === 'audio')) {
      throw new SfuError('bad_request', 'the offer has no codec in common with this server');
    }
    const room = await StreamRouter.create(stream.streamId, stream.slot, config, codecs);
    const answer = new AnswerRouter(room, stream);
    try {
      for (const producer of stream.producers.values()) {
        // A codec the player cannot take is left out; consume() then says so.
        if (!room.router.rtpCapabilities.codecs?.some((c) => c.mimeType.toLowerCase() === producer.rtpParameters.codecs[0]!.mimeType.toLowerCase())) continue;
        // Same worker: the copy cannot keep the id, so consume() translates it.
        const { pipeProducer } = await stream.router.pipeToRouter({ producerId: producer.id, router: room.router, keepId: false });
        if (!pipeProducer) continue;
        answer.#piped.set(producer.id, pipeProducer);
        room.producers.set(pipeProducer.id, pipeProducer);
      }
    } catch (err) {
      room.close();
      throw err;
    }
    return answer;
  }

  /** The copy of the stream's producer `producerId` in this router. */
  producer(producerId: string): types.Producer | undefined {
    return this.#piped.get(producerId);
  }

  /** The stream's producer id a copy in this router stands for. */
  original(pipedId: string): string | undefined {
    for (const [id, p] of this.#piped) if (p.id === pipedId) return id;
    return undefined;
  }

  close(): void {
    this.room.close();
  }
}

/** The router codecs both sides have, each under the remote side's payload type. */
function codecsFor(remote: types.RtpCapabilities): types.RouterRtpCodecCapability[] {
  const out: types.RouterRtpCodecCapability[] = [];
  for (const ours of mediaCodecs) {
    const theirs = remote.codecs?.find((c) => sameCodec(ours, c));
    if (theirs?.preferredPayloadType !== undefined) out.push({ ...ours, preferredPayloadType: theirs.preferredPayloadType });
  }
  return out;
}

function sameCodec(ours: types.RouterRtpCodecCapability, theirs: types.RtpCodecCapability): boolean {
  if (ours.mimeType.toLowerCase() !== theirs.mimeType.toLowerCase() || ours.clockRate !== theirs.clockRate) return false;
  if (ours.kind === 'audio' && (ours.channels ?? 1) !== (theirs.channels ?? 1)) return false;
  if (ours.mimeType.toLowerCase() !== 'video/h264') return true;
  const p = theirs.parameters ?? {};
  return p['packetization-mode'] === ours.parameters?.['packetization-mode'] && String(p['profile-level-id'] ?? '').slice(0, 4) === String(ours.parameters?.['profile-level-id']).slice(0, 4);
}
