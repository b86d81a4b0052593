// The media half of a werift viewer: given a recv transport and consumers that signaling
// created, it answers mediasoup's offer, connects DTLS over the same socket and counts what
// arrives. NodeViewer drives it honestly; attack tests drive it in whatever order they like.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { RemoteSdp } from 'mediasoup-client/handlers/sdp/RemoteSdp';
import { extractDtlsParameters } from 'mediasoup-client/handlers/sdp/commonUtils';
import sdpTransform from 'sdp-transform';
import { RTCPeerConnection } from 'werift';
import { parseVp8 } from './vp8.ts';
import type { WsTestClient } from './WsTestClient.ts';

export interface ReceiverStats {
  packets: number;
  bytes: number;
  frames: number;
  keyframes: number;
  width: number;
  height: number;
  /** performance.now() of the last complete frame. */
  lastFrameAt: number;
}

export interface ReceiverEvents {
  /** `id` names the frame across viewers: a hash of its last packet's VP8 payload. Hashed only while listened to. */
  frame: [{ at: number; keyframe: boolean; id: string }];
  /** The first complete frame. */
  first: [{ at: number }];
}

const KEEP_HEADER_EXTENSIONS = new Set(['urn:ietf:params:rtp-hdrext:sdes:mid', 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time']);

/** What werift can receive of a router's capabilities: opus, VP8 and RTX, and two header extensions. */
export function weriftCapabilities(caps: any): unknown {
  return {
    codecs: caps.codecs.filter((c: any) => ['audio/opus', 'video/VP8', 'video/rtx'].includes(c.mimeType)),
    headerExtensions: caps.headerExtensions.filter((h: any) => KEEP_HEADER_EXTENSIONS.has(h.uri)),
  };
}

export class WeriftReceiver extends EventEmitter<ReceiverEvents> {
  readonly stats: ReceiverStats;
  /** Unix seconds in which at least one complete frame arrived: the seconds really watched. */
  readonly frameSeconds = new Set<number>();
  /** Whether frames are worth hashing for `frame` events; a wrapper that forwards them decides. */
  hashFrames: () => boolean = () => this.listenerCount('frame') > 0;
  readonly #pc: RTCPeerConnection;

  private constructor(pc: RTCPeerConnection, stats: ReceiverStats) {
    super();
    this.#pc = pc;
    this.stats = stats;
  }

  /**
   * Sets up the peer connection for `consumers` on `transport` and sends connectTransport.
   * Counts go into `stats`, so a caller that reconnects can keep one running total.
   */
  static async connect(ws: WsTestClient, transport: any, consumers: any[], stats?: ReceiverStats): Promise<WeriftReceiver> {
    const remoteSdp = new RemoteSdp({ iceParameters: transport.iceParameters, iceCandidates: transport.iceCandidates, dtlsParameters: transport.dtlsParameters });
    consumers.forEach((c, i) => remoteSdp.receive({ mid: String(i), kind: c.kind, offerRtpParameters: c.rtpParameters, streamId: 'vilo', trackId: c.id }));
    const pc = new RTCPeerConnection({});
    const receiver = new WeriftReceiver(pc, stats ?? { packets: 0, bytes: 0, frames: 0, keyframes: 0, width: 0, height: 0, lastFrameAt: 0 });
    pc.onTrack.subscribe((track) => receiver.#count(track.kind === 'video', track));
    await pc.setRemoteDescription({ type: 'offer', sdp: remoteSdp.getSdp() });
    await pc.setLocalDescription(await pc.createAnswer());
    const dtlsParameters = extractDtlsParameters({ sdpObject: sdpTransform.parse(pc.localDescription!.sdp) });
    const reply = await ws.request('connectTransport', { transportId: transport.id, dtlsParameters: { ...dtlsParameters, role: 'client' } });
    if (!reply.ok) {
      await pc.close();
      throw new Error(`connectTransport: ${reply.error?.code} ${reply.error?.message}`);
    }
    return receiver;
  }

  /**
   * A WHEP player (RFC 9725's playback twin) in werift: it offers to receive audio and video,
   * posts the offer to `url` with `bearer` if given, and applies the answer. Returns the
   * receiver and the resource URL the server made, or throws with the server's status.
   */
  static async whep(url: string, bearer?: string): Promise<{ receiver: WeriftReceiver; resource: string }> {
    const pc = new RTCPeerConnection({});
    const receiver = new WeriftReceiver(pc, { packets: 0, bytes: 0, frames: 0, keyframes: 0, width: 0, height: 0, lastFrameAt: 0 });
    pc.onTrack.subscribe((track) => receiver.#count(track.kind === 'video', track));
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const headers: Record<string, string> = { 'content-type': 'application/sdp' };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const res = await fetch(url, { method: 'POST', headers, body: pc.localDescription!.sdp });
    const body = await res.text();
    if (res.status !== 201) {
      await pc.close();
      throw Object.assign(new Error(`WHEP ${res.status}: ${body}`), { status: res.status });
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: body });
    return { receiver, resource: new URL(res.headers.get('location')!, url).href };
  }

  #count(video: boolean, track: { onReceiveRtp: { subscribe(fn: (rtp: any) => void): unknown } }): void {
    track.onReceiveRtp.subscribe((rtp) => {
      this.stats.packets++;
      this.stats.bytes += rtp.payload.length;
      if (!video) return;
      const vp8 = parseVp8(rtp.payload);
      if (vp8?.keyframe && vp8.width && vp8.height) {
        this.stats.keyframes++;
        this.stats.width = vp8.width;
        this.stats.height = vp8.height;
      }
      // The marker bit ends a frame.
      if (!rtp.header.marker) return;
      const at = performance.now();
      this.stats.frames++;
      this.stats.lastFrameAt = at;
      if (this.frameSeconds.size === 0) this.emit('first', { at });
      this.frameSeconds.add(Math.floor(Date.now() / 1000));
      if (this.hashFrames()) {
        const id = createHash('sha1').update(rtp.payload.subarray(vp8?.offset ?? 0)).digest('base64');
        this.emit('frame', { at, keyframe: vp8?.keyframe ?? false, id });
      }
    });
  }

  close(): void {
    void this.#pc.close();
  }
}
