// A lightweight, real WebRTC viewer for tests and benchmarks with many viewers: the
// signaling protocol over a WebSocket, then ICE, DTLS and SRTP through werift's pure
// TypeScript stack. It counts packets and frames and reads resolutions from VP8
// keyframes instead of decoding, so dozens fit on one core.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { RemoteSdp } from 'mediasoup-client/handlers/sdp/RemoteSdp';
import { extractDtlsParameters } from 'mediasoup-client/handlers/sdp/commonUtils';
import sdpTransform from 'sdp-transform';
import { RTCPeerConnection } from 'werift';
import { parseVp8 } from './vp8.ts';
import { WsTestClient } from './WsTestClient.ts';

export interface NodeViewerStats {
  state: 'connecting' | 'live' | 'reconnecting' | 'ended' | 'closed';
  packets: number;
  bytes: number;
  frames: number;
  keyframes: number;
  width: number;
  height: number;
  joins: number;
  /** performance.now() of the last complete frame. */
  lastFrameAt: number;
}

export interface NodeViewerEvents {
  /** `id` names the frame across viewers: a hash of its last packet's VP8 payload. */
  frame: [{ at: number; keyframe: boolean; id: string }];
  /** First frame of a (re)joined session. */
  live: [{ at: number; joinMs: number }];
  lost: [{ at: number; code: number }];
}

const KEEP_HEADER_EXTENSIONS = new Set(['urn:ietf:params:rtp-hdrext:sdes:mid', 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time']);

export class NodeViewer extends EventEmitter<NodeViewerEvents> {
  readonly stats: NodeViewerStats = { state: 'connecting', packets: 0, bytes: 0, frames: 0, keyframes: 0, width: 0, height: 0, joins: 0, lastFrameAt: 0 };
  readonly #baseUrl: string;
  readonly #streamId: string;
  #ws: WsTestClient | undefined;
  #pc: RTCPeerConnection | undefined;
  #videoConsumerId: string | undefined;
  #consumerIds: string[] = [];
  #sessionId: string | undefined;
  #closed = false;

  constructor(baseUrl: string, streamId: string) {
    super();
    this.#baseUrl = baseUrl;
    this.#streamId = streamId;
  }

  /** Joins and resolves once the first frame arrives. */
  async start(timeoutMs = 20_000): Promise<number> {
    const live = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
      this.once('live', ({ joinMs }) => {
        clearTimeout(timer);
        resolve(joinMs);
      });
    });
    void this.#session();
    return live;
  }

  async setLayer(layer: 'auto' | number): Promise<void> {
    if (!this.#ws || !this.#videoConsumerId) throw new Error('not playing');
    const reply = await this.#ws.request('setLayer', { consumerId: this.#videoConsumerId, layer });
    if (!reply.ok) throw new Error(reply.error?.message);
  }

  /** Pauses every consumer, as a player's pause button would. */
  async pause(): Promise<void> {
    for (const consumerId of this.#consumerIds) await this.#ok(this.#ws!, 'pauseConsumer', { consumerId });
  }

  async resume(): Promise<void> {
    for (const consumerId of this.#consumerIds) await this.#ok(this.#ws!, 'resumeConsumer', { consumerId });
  }

  /** The signaling session id, which is also the metered session id. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  close(): void {
    this.#closed = true;
    this.stats.state = 'closed';
    this.#ws?.close();
    void this.#pc?.close();
  }

  async #session(): Promise<void> {
    const startedAt = performance.now();
    let firstFrame = true;
    try {
      const res = await fetch(`${this.#baseUrl}/api/v1/streams/${this.#streamId}/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ role: 'viewer' }),
      });
      if (res.status === 409) {
        this.stats.state = 'ended';
        return;
      }
      const { token } = (await res.json()) as { token: string };
      const ws = await WsTestClient.connect(this.#baseUrl);
      this.#ws = ws;
      void ws.closed.then(({ code }) => this.#onLost(ws, code));
      const joined = await this.#ok(ws, 'join', { token });
      this.#sessionId = joined.sessionId;
      const transport = await this.#ok(ws, 'createTransport', { direction: 'recv' });
      const caps = joined.routerRtpCapabilities;
      const rtpCapabilities = {
        codecs: caps.codecs.filter((c: any) => ['audio/opus', 'video/VP8', 'video/rtx'].includes(c.mimeType)),
        headerExtensions: caps.headerExtensions.filter((h: any) => KEEP_HEADER_EXTENSIONS.has(h.uri)),
      };
      // After an origin loss, viewers can rejoin before the studio has re-published.
      const producers = [...(joined.producers as { producerId: string; kind: string }[])];
      const deadline = Date.now() + 15_000;
      while (!producers.some((p) => p.kind === 'video') && Date.now() < deadline && !this.#closed) {
        for (const e of ws.events.splice(0)) if (e.event === 'producerAdded') producers.push(e.data);
        await new Promise((r) => setTimeout(r, 50));
      }
      const consumers = [];
      for (const p of producers) {
        consumers.push(await this.#ok(ws, 'consume', { transportId: transport.id, producerId: p.producerId, rtpCapabilities }));
      }
      const remoteSdp = new RemoteSdp({
        iceParameters: transport.iceParameters,
        iceCandidates: transport.iceCandidates,
        dtlsParameters: transport.dtlsParameters,
      });
      consumers.forEach((c, i) => remoteSdp.receive({ mid: String(i), kind: c.kind, offerRtpParameters: c.rtpParameters, streamId: 'vilo', trackId: c.id }));

      const pc = new RTCPeerConnection({});
      this.#pc = pc;
      pc.onTrack.subscribe((track) => {
        const video = track.kind === 'video';
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
          if (rtp.header.marker) {
            const at = performance.now();
            this.stats.frames++;
            this.stats.lastFrameAt = at;
            if (this.listenerCount('frame') > 0) {
              const id = createHash('sha1').update(rtp.payload.subarray(vp8?.offset ?? 0)).digest('base64');
              this.emit('frame', { at, keyframe: vp8?.keyframe ?? false, id });
            }
            if (firstFrame) {
              firstFrame = false;
              this.stats.state = 'live';
              this.stats.joins++;
              this.emit('live', { at, joinMs: at - startedAt });
            }
          }
        });
      });
      await pc.setRemoteDescription({ type: 'offer', sdp: remoteSdp.getSdp() });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      const dtlsParameters = extractDtlsParameters({ sdpObject: sdpTransform.parse(pc.localDescription!.sdp) });
      await this.#ok(ws, 'connectTransport', { transportId: transport.id, dtlsParameters: { ...dtlsParameters, role: 'client' } });
      this.#consumerIds = consumers.map((c) => c.id);
      for (const c of consumers) {
        if (c.kind === 'video') this.#videoConsumerId = c.id;
        await this.#ok(ws, 'resumeConsumer', { consumerId: c.id });
      }
    } catch (err) {
      if (this.#closed) return;
      this.stats.state = 'reconnecting';
      setTimeout(() => void this.#session(), 500).unref();
    }
  }

  #onLost(ws: WsTestClient, code: number): void {
    if (this.#closed || this.#ws !== ws) return;
    void this.#pc?.close();
    this.#pc = undefined;
    this.#videoConsumerId = undefined;
    this.stats.state = 'reconnecting';
    this.emit('lost', { at: performance.now(), code });
    setTimeout(() => void this.#session(), 100).unref();
  }

  async #ok(ws: WsTestClient, type: string, data: unknown): Promise<any> {
    const reply = await ws.request(type, data);
    if (!reply.ok) throw new Error(`${type}: ${reply.error?.code} ${reply.error?.message}`);
    return reply.data;
  }
}
